package gemm

import (
	"cmp"
	"sync"
	"unsafe"
)

// Register tile and cache blocking parameters of the packed driver.
const (
	mr = 6  // rows of the micro-kernel tile (rows of an A micro-panel)
	nr = 16 // columns of the micro-kernel tile (columns of a B micro-panel)

	kcLimit = 512 // largest plan.kc (sizes the edge-panel scratch)

	kcMax = 256  // depth of a packed block: a 6x256 A and a 256x16 B micro-panel fit in L1
	mcMax = 144  // rows of a packed A block: 144x256x4 B = 144 KiB, fits in L2
	ncMax = 1024 // columns of a packed B block: 256x1024x4 B = 1 MiB, lives in L2/L3

	// unpackedMaxM: when m is at most this and B is not transposed, B is
	// read in place by the micro-kernel instead of being packed; packing
	// would cost about as much as the few row tiles that reuse it.
	unpackedMaxM = 4 * mr
	// unpackedMaxAT: a transposed A with more elements than this (512 KiB)
	// is packed; a smaller one, and any non-transposed A, is read in place.
	unpackedMaxAT = 128 << 10
)

// kernelFunc computes the mr x nr tile T = alpha * op(A)[0:mr, 0:k] *
// op(B)[0:k, 0:nr] and stores its first rows rows into C: C = T when
// betaZero (C is not read), else C = T + beta*C.
//
// Element (i, p) of op(A) is a[i*rsa+p*csa]; row p of op(B) is the nr
// contiguous floats at b[p*rsb:]; row i of C starts at c[i*ldc]. All mr
// rows of A (only the first rows when backend.exactRows) and nr columns
// of B must be in bounds; only rows rows of C (nr columns each) are
// touched.
//
// Each element of the tile is accumulated over p = 0..k-1 in order from
// zero, then scaled by alpha, then merged with beta*C: the result does not
// depend on where the operands live (packed or in place) nor on which
// rows are computed together, which is what makes SgemmPackedB
// bit-identical to Sgemm.
type kernelFunc func(k int, a []float32, rsa, csa int, b []float32, rsb int, c []float32, ldc, rows int, alpha, beta float32, betaZero bool)

// panelFunc computes the m rows (m >= 1) of one nr-column panel of C as a
// column of micro-kernel tiles, the tile of rows r..r+h-1 (h =
// tileRows(m-r, split)) exactly as the kernelFunc would with that tile's
// A, which starts at a[r*tsa:] (tsa = rsa for an A read in place, kc for
// an A packed into mr-row panels, whose tiles then have mr rows). One call
// per panel instead of per tile saves the per-call overhead, which
// matters at the small depths of the recurrent steps.
type panelFunc func(k int, a []float32, rsa, csa, tsa int, b []float32, rsb int, c []float32, ldc, m int, alpha, beta float32, betaZero, split bool)

// thinFunc computes a tile of rows = 1 or 2 rows and panels*nr columns
// (panels = 2 or 4 for one row, 2 for two), each element exactly as the
// kernelFunc would: a 16-column tile of one or two rows has too few
// accumulators to cover the FMA latency, a wider one has enough. Element
// (i, p) of op(A) is a[i*rsa+p*csa]; panel j of op(B) starts at b[j*psb],
// with row stride rsb; row i of C starts at c[i*ldc]. It reads only the
// rows rows of A.
type thinFunc func(k int, a []float32, rsa, csa int, b []float32, rsb, psb int, c []float32, ldc, rows, panels int, alpha, beta float32, betaZero bool)

// thinPanels returns how many of full panels (0 when none) a thin tile of
// rows rows spans: 4 for one row (2 when fewer are left), 2 for two.
func thinPanels(rows, full int) int {
	switch {
	case rows == 1 && full >= 4:
		return 4
	case rows <= 2 && full >= 2:
		return 2
	}
	return 0
}

// panelPacker packs one full nr-column micro-panel of op(B) for kc k
// steps into dst[0 : kc*nr]: dst[p*nr+j] = op(B)[p][j], where b starts at
// element (0, 0) of the panel as stored (b[j*ldb+p] when B is transposed,
// b[p*ldb+j] otherwise).
type panelPacker func(dst, b []float32, ldb, kc int)

// backend bundles a micro-kernel with the packing routines that suit it.
type backend struct {
	name   string
	kernel kernelFunc
	panel  panelFunc
	thin   thinFunc    // nil: none; needs exactRows
	packBT panelPacker // op(B) = Bᵀ
	packBN panelPacker // op(B) = B
	// packAT packs panels full mr-row micro-panels of op(A) = Aᵀ, kc k
	// steps each: dst[q*kc*mr + p*mr + i] = a[p*lda + q*mr + i].
	packAT func(dst, a []float32, lda, kc, panels int)
	// packAN packs one full mr-row micro-panel of op(A) = A:
	// dst[p*mr + i] = a[i*lda + p]. It may also write dst[kc*mr] and
	// dst[kc*mr+1], which the caller must overwrite afterwards (they are
	// the start of the next panel or slack).
	packAN func(dst, a []float32, lda, kc int)
	// exactRows: the kernel reads only the first rows rows of A, for any
	// rows, so edge tiles need no padded copy of A, and a block of rows
	// read in place may be cut into tiles of any height.
	exactRows bool
	// packAlways: the kernel is fast only on packed operands.
	packAlways bool
}

// tileRows returns the height of the next row tile when rem rows of a
// block remain. Tiles have mr rows, except at the end of the block: with
// split (operands read in place by a kernel with exact rows), 7 and 8
// remaining rows are cut as 4+3 and 4+4 rather than 6+1 and 6+2, because
// a tile of one or two rows keeps too few accumulators busy to cover the
// FMA latency and costs about as much as one of four rows.
func tileRows(rem int, split bool) int {
	if split && (rem == mr+1 || rem == mr+2) {
		return 4
	}
	return min(rem, mr)
}

// genericBackend is the portable pure-Go backend.
var genericBackend = &backend{
	name:       "generic",
	kernel:     genericKernel,
	panel:      genericPanel,
	packBT:     packBTransGo,
	packBN:     packBRowsGo,
	packAT:     packATransGo,
	packAN:     packARowsGo,
	packAlways: true,
}

// native is the fastest backend for this machine, chosen at init.
var native = genericBackend

// plan selects which operands the driver packs and the block sizes; see
// choosePlan. Zero block sizes mean the defaults kcMax, mcMax and ncMax.
//
// transC makes the driver store the transpose of its result: it computes
// the m×n product into c[j*ldc+i] (see run).
type plan struct {
	packA, packB bool
	kc, mc, nc   int
	transC       bool
}

// choosePlan decides which operands to pack. Packing copies a block of an
// operand into the contiguous micro-panel layout the kernel streams
// through; it pays off when the block is reused by many tiles and is
// costly to read in place.
//
// A transposed B must always be packed, because the kernel needs the nr
// columns of a row of op(B) to be contiguous. A non-transposed B is read
// in place only when few row tiles (m ≤ unpackedMaxM) reuse it.
//
// A non-transposed A is read in place: each tile streams six contiguous
// rows, which the hardware prefetchers follow as well as a packed panel.
// A transposed A is read in place while it is small enough to stay in L2;
// a larger one is packed, because its tiles are scattered across a cache
// line per k step, and across pages.
func choosePlan(be *backend, transA, transB bool, m, n, k int) plan {
	if be.packAlways {
		return plan{packA: true, packB: true}
	}
	return plan{
		packA: transA && m*k > unpackedMaxAT,
		packB: transB || m > unpackedMaxM,
	}
}

// run computes C = alpha*op(A)*op(B) + beta*C on validated arguments with
// backend be, choosing the plan. A product with very few columns (the
// classifier head: n = 4) would waste most of each 16-wide tile, so it is
// computed transposed instead, Cᵀ = op(B)ᵀ*op(A)ᵀ, with the roles of A and
// B swapped and the result stored transposed.
func run(be *backend, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if n < nr/2 && m >= nr {
		pl := choosePlan(be, !transB, !transA, n, m, k)
		pl.transC = true
		sgemm(be, pl, !transB, !transA, n, m, k, alpha, b, ldb, a, lda, nil, beta, c, ldc)
		return
	}
	sgemm(be, choosePlan(be, transA, transB, m, n, k), transA, transB, m, n, k, alpha, a, lda, b, ldb, nil, beta, c, ldc)
}

// workspace holds the packing buffers of one Sgemm call. Workspaces are
// recycled through wsPool so that a call in steady state allocates
// nothing and concurrent calls never share one.
type workspace struct {
	aRaw, bRaw []float32
	ea         [mr * kcLimit]float32 // edge A panel (fewer than mr rows, unpacked mode)
	eb         [kcLimit * nr]float32 // edge B panel (fewer than nr columns, unpacked mode)
	tmp        [mr * nr]float32      // edge C tile
}

var wsPool = sync.Pool{New: func() any { return new(workspace) }}

// alignPad is the slack that aligned needs: the floats of a 64-byte line.
const alignPad = 64 / 4

// aligned returns n floats of *raw starting at a 64-byte boundary, growing
// *raw when it is too small (it needs n+alignPad floats).
func aligned(raw *[]float32, n int) []float32 {
	if cap(*raw) < n+alignPad {
		*raw = make([]float32, n+alignPad)
	}
	r := (*raw)[:cap(*raw)]
	off := int((64 - uintptr(unsafe.Pointer(unsafe.SliceData(r)))%64) % 64 / 4)
	return r[off : off+n]
}

// ceilDiv returns ceil(a/b) for a >= 0, b > 0.
func ceilDiv(a, b int) int { return (a + b - 1) / b }

// roundUp rounds a up to a multiple of b.
func roundUp(a, b int) int { return ceilDiv(a, b) * b }

// blockSize splits extent into the fewest blocks of at most max elements,
// of (nearly) equal size rounded up to a multiple of unit.
func blockSize(extent, max, unit int) int {
	nb := ceilDiv(extent, max)
	return roundUp(ceilDiv(extent, nb), unit)
}

// scaleC computes C = beta*C for an m x n matrix, writing zeros without
// reading C when beta == 0.
func scaleC(m, n int, beta float32, c []float32, ldc int) {
	if beta == 1 {
		return
	}
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}

// sgemm is the blocked GEMM driver: C = alpha*op(A)*op(B) + beta*C with
// the given backend and plan. Dimensions and slice lengths must already
// have been validated. With pl.transC, C is n×m and receives the
// transpose of the product. When pb is not nil, op(B) is taken from it,
// already packed (b, ldb and transB are then unused, and pl.transC must
// be false); the computation is otherwise the same.
//
// Loop order (GotoBLAS/BLIS): jc over column blocks of nc, pc over depth
// blocks of kc (packing op(B)[pc:pc+kc, jc:jc+nc]), ic over row blocks of
// mc (packing op(A)[ic:ic+mc, pc:pc+kc]), then jr over nr-wide and ir over
// mr-high micro-tiles (see tileRows). A full-width panel's column of tiles
// is one panelFunc call, or, for one or two rows, several panels are one
// thinFunc call; narrow edge panels, transposed stores and padded A
// panels take one kernelFunc call per tile.
func sgemm(be *backend, pl plan, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, pb *PackedB, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	if alpha == 0 || k == 0 {
		if pl.transC {
			m, n = n, m
		}
		scaleC(m, n, beta, c, ldc)
		return
	}
	kern := be.kernel

	kcb := blockSize(k, cmp.Or(pl.kc, kcMax), 1)
	if pb != nil {
		kcb = pb.kc
	}
	mcb := blockSize(m, cmp.Or(pl.mc, mcMax), mr)
	ncb := blockSize(n, cmp.Or(pl.nc, ncMax), nr)
	packedB := pl.packB || pb != nil
	// Rows read in place by an exact-rows kernel may end in 4-row tiles.
	split := !pl.packA && be.exactRows

	// The workspace holds the packing buffers and the edge scratch; a
	// product that needs none (say, full tiles on a pre-packed B) does not
	// take one.
	var ws *workspace
	if pl.packA || (pl.packB && pb == nil) || pl.transC || n%nr != 0 || (!pl.packA && m%mr != 0 && !be.exactRows) {
		ws = wsPool.Get().(*workspace)
	}
	var abuf, bbuf []float32
	if pl.packA {
		// 8 floats of slack for packAN's overshoot.
		abuf = aligned(&ws.aRaw, min(mcb, roundUp(m, mr))*kcb+8)
	}
	if pl.packB && pb == nil {
		bbuf = aligned(&ws.bRaw, min(ncb, roundUp(n, nr))*kcb)
	}

	for jc := 0; jc < n; jc += ncb {
		nc := min(ncb, n-jc)
		for pc := 0; pc < k; pc += kcb {
			kc := min(kcb, k-pc)
			bet, bz := beta, beta == 0
			if pc > 0 {
				bet, bz = 1, false
			}
			switch {
			case pb != nil:
				// Block pc of pb holds every panel, the panel of column
				// j0 at j0*kc.
				bbuf = pb.data[pc*pb.np+jc*kc:]
			case pl.packB:
				packB(be, bbuf, b, ldb, transB, pc, kc, jc, nc)
			case nc%nr != 0:
				// The last micro-panel is narrower than nr: pack it,
				// zero-padded, so that the kernel never reads past B.
				j0 := jc + nc - nc%nr
				packBPanel(ws.eb[:kc*nr], b, ldb, transB, pc, kc, j0, n-j0)
			}
			for ic := 0; ic < m; ic += mcb {
				mc := min(mcb, m-ic)
				// Element (i, p) of op(A)[ic:ic+mc, pc:pc+kc] is
				// ablk[i*rsa+p*csa]; the tile of row r starts at ablk[r*tsa:].
				var ablk []float32
				var rsa, csa, tsa int
				switch {
				case pl.packA:
					packA(be, abuf, a, lda, transA, ic, mc, pc, kc)
					ablk, rsa, csa, tsa = abuf, 1, mr, kc
				case transA:
					ablk, rsa, csa, tsa = a[pc*lda+ic:], 1, lda, 1
				default:
					ablk, rsa, csa, tsa = a[ic*lda+pc:], lda, 1, lda
				}
				// A last tile of fewer than mr rows that the kernel cannot
				// read in place is computed on a zero-padded copy.
				edgeA := !pl.packA && mc%mr != 0 && !be.exactRows
				if edgeA {
					i0 := ic + mc - mc%mr
					packAPanel(ws.ea[:kc*mr], a, lda, transA, i0, m-i0, pc, kc)
				}
				for jr := 0; jr < nc; jr += nr {
					nrr := min(nr, nc-jr)
					var bs []float32
					rsb, psb := nr, kc*nr
					switch {
					case packedB:
						bs = bbuf[(jr/nr)*kc*nr:]
					case nrr == nr:
						bs, rsb, psb = b[pc*ldb+jc+jr:], ldb, nr
					default:
						bs = ws.eb[:]
					}
					if tp := thinPanels(mc, (nc-jr)/nr); tp > 0 && be.thin != nil && !pl.transC {
						// One or two rows: several panels at once.
						be.thin(kc, ablk, rsa, csa, bs, rsb, psb, c[ic*ldc+jc+jr:], ldc, mc, tp, alpha, bet, bz)
						jr += (tp - 1) * nr
						continue
					}
					if nrr == nr && !pl.transC && !edgeA {
						// A whole panel: one call for its column of tiles.
						be.panel(kc, ablk, rsa, csa, tsa, bs, rsb, c[ic*ldc+jc+jr:], ldc, mc, alpha, bet, bz, split)
						continue
					}
					for ir, mrr := 0, 0; ir < mc; ir += mrr {
						mrr = tileRows(mc-ir, split)
						as, rsa, csa := ablk[ir*tsa:], rsa, csa // this tile's A
						if edgeA && mrr < mr {
							as, rsa, csa = ws.ea[:], 1, mr
						}
						if pl.transC {
							// Store the tile transposed: C[j][i] = tile[i][j].
							kern(kc, as, rsa, csa, bs, rsb, ws.tmp[:], nr, mrr, alpha, 0, true)
							ci := (jc+jr)*ldc + ic + ir
							for j := 0; j < nrr; j++ {
								crow := c[ci+j*ldc : ci+j*ldc+mrr]
								for i := range crow {
									v := ws.tmp[i*nr+j]
									if !bz {
										v += bet * crow[i]
									}
									crow[i] = v
								}
							}
							continue
						}
						ci := (ic+ir)*ldc + jc + jr
						if nrr == nr {
							kern(kc, as, rsa, csa, bs, rsb, c[ci:], ldc, mrr, alpha, bet, bz)
							continue
						}
						// Narrow edge tile: compute the full tile into tmp,
						// then merge the valid part into C.
						kern(kc, as, rsa, csa, bs, rsb, ws.tmp[:], nr, mrr, alpha, 0, true)
						for i := 0; i < mrr; i++ {
							crow := c[ci+i*ldc : ci+i*ldc+nrr]
							t := ws.tmp[i*nr : i*nr+nrr]
							if bz {
								copy(crow, t)
								continue
							}
							for j, v := range t {
								crow[j] = v + bet*crow[j]
							}
						}
					}
				}
			}
		}
	}
	if ws != nil {
		wsPool.Put(ws)
	}
}

// packA packs op(A)[ic:ic+mc, pc:pc+kc] into dst as consecutive mr-row
// micro-panels, each stored column by column (mr floats per k step), the
// last one zero-padded to mr rows. dst must have 2 floats of slack after
// the last panel.
func packA(be *backend, dst, a []float32, lda int, transA bool, ic, mc, pc, kc int) {
	full := mc - mc%mr
	if transA {
		if full > 0 {
			be.packAT(dst, a[pc*lda+ic:], lda, kc, full/mr)
		}
	} else {
		for ir := 0; ir < full; ir += mr {
			be.packAN(dst[ir*kc:], a[(ic+ir)*lda+pc:], lda, kc)
		}
	}
	if full < mc {
		packAPanel(dst[full*kc:(full+mr)*kc], a, lda, transA, ic+full, mc-full, pc, kc)
	}
}

// packATransGo is the pure-Go backend.packAT: it streams each stored row
// of A once and deals its mr-long runs out to the panels.
func packATransGo(dst, a []float32, lda, kc, panels int) {
	for p := 0; p < kc; p++ {
		row := a[p*lda:][:panels*mr]
		d := dst[p*mr:]
		for q := 0; q < panels; q++ {
			copy6((*[mr]float32)(d[q*kc*mr:]), (*[mr]float32)(row[q*mr:]))
		}
	}
}

// packARowsGo is the pure-Go backend.packAN.
func packARowsGo(dst, a []float32, lda, kc int) {
	r0 := a[0*lda:][:kc]
	r1 := a[1*lda:][:kc]
	r2 := a[2*lda:][:kc]
	r3 := a[3*lda:][:kc]
	r4 := a[4*lda:][:kc]
	r5 := a[5*lda:][:kc]
	for p := range r0 {
		d := (*[mr]float32)(dst[p*mr:])
		d[0], d[1], d[2], d[3], d[4], d[5] = r0[p], r1[p], r2[p], r3[p], r4[p], r5[p]
	}
}

// copy6 copies 6 floats element by element (an array assignment between
// possibly overlapping memory would call memmove).
func copy6(d, s *[6]float32) {
	s0, s1, s2, s3, s4, s5 := s[0], s[1], s[2], s[3], s[4], s[5]
	d[0], d[1], d[2], d[3], d[4], d[5] = s0, s1, s2, s3, s4, s5
}

// copy16 copies 16 floats element by element, like copy6.
func copy16(d, s *[16]float32) {
	s0, s1, s2, s3, s4, s5, s6, s7 := s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]
	d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7] = s0, s1, s2, s3, s4, s5, s6, s7
	s0, s1, s2, s3, s4, s5, s6, s7 = s[8], s[9], s[10], s[11], s[12], s[13], s[14], s[15]
	d[8], d[9], d[10], d[11], d[12], d[13], d[14], d[15] = s0, s1, s2, s3, s4, s5, s6, s7
}

// packAPanel packs the rows rows (rows <= mr) of op(A)[i0:i0+rows, pc:pc+kc]
// into the mr*kc floats of dst, zero-padding the missing rows.
func packAPanel(dst, a []float32, lda int, transA bool, i0, rows, pc, kc int) {
	dst = dst[:kc*mr]
	for p := 0; p < kc; p++ {
		d := (*[mr]float32)(dst[p*mr:])
		*d = [mr]float32{}
		if transA {
			// op(A)[i][p] = a[p*lda+i]: each k step is a contiguous run.
			copy(d[:rows], a[(pc+p)*lda+i0:])
			continue
		}
		for i := 0; i < rows; i++ {
			d[i] = a[(i0+i)*lda+pc+p]
		}
	}
}

// packB packs op(B)[pc:pc+kc, jc:jc+nc] into dst as consecutive nr-column
// micro-panels, each stored row by row (nr floats per k step), the last one
// zero-padded to nr columns.
func packB(be *backend, dst, b []float32, ldb int, transB bool, pc, kc, jc, nc int) {
	full := nc - nc%nr
	for jr := 0; jr < full; jr += nr {
		d := dst[jr*kc : (jr+nr)*kc]
		if transB {
			be.packBT(d, b[(jc+jr)*ldb+pc:], ldb, kc)
		} else {
			be.packBN(d, b[pc*ldb+jc+jr:], ldb, kc)
		}
	}
	if full < nc {
		packBPanel(dst[full*kc:(full+nr)*kc], b, ldb, transB, pc, kc, jc+full, nc-full)
	}
}

// packBRowsGo is the pure-Go panelPacker for op(B) = B.
func packBRowsGo(dst, b []float32, ldb, kc int) {
	for p := 0; p < kc; p++ {
		copy16((*[nr]float32)(dst[p*nr:]), (*[nr]float32)(b[p*ldb:]))
	}
}

// packBTransGo is the pure-Go panelPacker for op(B) = Bᵀ: it transposes
// nr rows of b, four at a time.
func packBTransGo(dst, b []float32, ldb, kc int) {
	dst = dst[:kc*nr]
	for j := 0; j < nr; j += 4 {
		r0 := b[(j+0)*ldb:][:kc]
		r1 := b[(j+1)*ldb:][:kc]
		r2 := b[(j+2)*ldb:][:kc]
		r3 := b[(j+3)*ldb:][:kc]
		for p := range r0 {
			d := (*[4]float32)(dst[p*nr+j:])
			d[0], d[1], d[2], d[3] = r0[p], r1[p], r2[p], r3[p]
		}
	}
}

// packBPanel packs the cols columns (cols <= nr) of
// op(B)[pc:pc+kc, j0:j0+cols] into the kc*nr floats of dst, zero-padding
// the missing columns.
func packBPanel(dst, b []float32, ldb int, transB bool, pc, kc, j0, cols int) {
	dst = dst[:kc*nr]
	if !transB {
		// op(B)[p][j] = b[p*ldb+j]: each k step is a contiguous run.
		for p := 0; p < kc; p++ {
			d := (*[nr]float32)(dst[p*nr:])
			*d = [nr]float32{}
			copy(d[:cols], b[(pc+p)*ldb+j0:])
		}
		return
	}
	clear(dst)
	for j := 0; j < cols; j++ {
		row := b[(j0+j)*ldb+pc:][:kc]
		for p, v := range row {
			dst[p*nr+j] = v
		}
	}
}
