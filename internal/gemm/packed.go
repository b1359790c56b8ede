package gemm

// PackedB is a k×n matrix op(B) prepared once by PackB for any number of
// products SgemmPackedB(…, pb, …) = alpha*op(A)*op(B) + beta*C, which then
// skip the packing of op(B) that Sgemm does at every call. The recurrent
// layers multiply by the same weight matrix at every time step, which is
// what it is for.
//
// A PackedB holds a copy of op(B): B may change or be freed after PackB
// without affecting it. It is read-only once packed, so any number of
// goroutines may call SgemmPackedB with it at the same time; PackB into a
// PackedB must not run concurrently with its uses. The zero value is an
// empty PackedB, ready to be packed into.
//
// In the default build the copy is in the micro-kernel's packed layout:
// for each depth block of Sgemm's blocking (at most 256 steps of k), the
// nr-column micro-panels of that block, each zero-padded to nr columns;
// k×roundUp(n, 16) floats in all. In the openblas build it is op(B) as
// stored, which SgemmPackedB passes to cblas_sgemm.
type PackedB struct {
	k, n int
	kc   int       // depth of a packed block: Sgemm's blockSize(k, kcMax, 1)
	np   int       // n rounded up to a whole number of nr-column panels
	raw  []float32 // backing memory, reused by later PackB calls
	// data is the packed matrix: block pc (depth kc) starts at pc*np and
	// holds np/nr panels of kc*nr floats, that of column j0 at j0*kc. The
	// openblas build stores op(B) as given instead, with row stride ldb.
	data   []float32
	transB bool // openblas build: data is stored transposed
	ldb    int  // openblas build: the row stride of data
}

// PackedBLen returns the number of floats of memory PackB uses for a k×n
// op(B), alignment slack included: the size of a buffer for SetMemory.
func PackedBLen(k, n int) int {
	return k*roundUp(n, nr) + alignPad
}

// SetMemory empties pb and gives it buf as memory for the next PackB,
// which packs into buf when it holds at least PackedBLen(k, n) floats, and
// allocates otherwise. A caller that shares scratch memory between
// operations can thus provide it; SetMemory(nil) drops pb's reference to
// its memory. The contents of buf are overwritten.
func (pb *PackedB) SetMemory(buf []float32) {
	*pb = PackedB{raw: buf[:len(buf):len(buf)]}
}

// K returns the number of rows of op(B), the depth of the products.
func (pb *PackedB) K() int { return pb.k }

// N returns the number of columns of op(B) and of the products.
func (pb *PackedB) N() int { return pb.n }

// checkPackB panics unless b holds a k×n op(B) with row stride ldb.
func checkPackB(transB bool, k, n int, b []float32, ldb int) {
	if k < 0 || n < 0 {
		panic("gemm: negative dimension")
	}
	br, bc := storedDims(transB, k, n)
	checkMatrix("B", br, bc, len(b), ldb)
}

// checkSgemmPackedB panics unless pb is not nil and A and C are valid for
// an m-row product with it.
func checkSgemmPackedB(transA bool, m int, a []float32, lda int, pb *PackedB, c []float32, ldc int) {
	if pb == nil {
		panic("gemm: nil PackedB")
	}
	if m < 0 {
		panic("gemm: negative dimension")
	}
	ar, ac := storedDims(transA, m, pb.k)
	checkMatrix("A", ar, ac, len(a), lda)
	checkMatrix("C", m, pb.n, len(c), ldc)
}

// packInto returns into, or a new PackedB when into is nil, set up for a
// k×n op(B).
func packInto(k, n int, into *PackedB) *PackedB {
	pb := into
	if pb == nil {
		pb = new(PackedB)
	}
	pb.k, pb.n = k, n
	pb.kc, pb.np = 0, roundUp(n, nr)
	if k > 0 {
		pb.kc = blockSize(k, kcMax, 1)
	}
	pb.transB, pb.ldb = false, 0
	return pb
}

// packBWith packs op(B) into the micro-panel layout with backend be's
// packing routines (every backend shares the layout). It validates the
// arguments.
func packBWith(be *backend, transB bool, k, n int, b []float32, ldb int, into *PackedB) *PackedB {
	checkPackB(transB, k, n, b, ldb)
	pb := packInto(k, n, into)
	pb.data = aligned(&pb.raw, k*pb.np)
	if n == 0 {
		return pb
	}
	for pc := 0; pc < k; pc += pb.kc {
		kc := min(pb.kc, k-pc)
		packB(be, pb.data[pc*pb.np:], b, ldb, transB, pc, kc, 0, n)
	}
	return pb
}

// sgemmPackedWith is SgemmPackedB on backend be: the driver of Sgemm with
// the plan Sgemm would choose for A, and B taken from pb. It validates the
// arguments.
func sgemmPackedWith(be *backend, transA bool, m int, alpha float32, a []float32, lda int, pb *PackedB, beta float32, c []float32, ldc int) {
	checkSgemmPackedB(transA, m, a, lda, pb, c, ldc)
	pl := choosePlan(be, transA, true, m, pb.n, pb.k)
	sgemm(be, pl, transA, true, m, pb.n, pb.k, alpha, a, lda, nil, 0, pb, beta, c, ldc)
}
