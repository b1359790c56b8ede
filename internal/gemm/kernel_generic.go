package gemm

// genericKernel is the portable pure-Go micro-kernel (see kernelFunc). On
// packed operands it computes the mr×nr tile in 3×4 register blocks;
// other strides take a simpler path.
func genericKernel(k int, a []float32, rsa, csa int, b []float32, rsb int, c []float32, ldc, rows int, alpha, beta float32, betaZero bool) {
	var acc [mr * nr]float32
	if rsa == 1 && csa == mr && rsb == nr {
		a, b = a[:k*mr], b[:k*nr]
		for i := 0; i < mr; i += 3 {
			for j := 0; j < nr; j += 4 {
				kernelBlock3x4(k, a[i:], b[j:], (*[3 * nr]float32)(acc[i*nr:]), j)
			}
		}
	} else {
		for j := 0; j < nr; j += 4 {
			for i := 0; i < mr; i++ {
				var s0, s1, s2, s3 float32
				ai, bj := i*rsa, j
				for p := 0; p < k; p++ {
					av := a[ai]
					bp := (*[4]float32)(b[bj : bj+4])
					s0 += av * bp[0]
					s1 += av * bp[1]
					s2 += av * bp[2]
					s3 += av * bp[3]
					ai += csa
					bj += rsb
				}
				t := (*[4]float32)(acc[i*nr+j:])
				t[0], t[1], t[2], t[3] = s0, s1, s2, s3
			}
		}
	}
	for i := 0; i < rows; i++ {
		crow := (*[nr]float32)(c[i*ldc : i*ldc+nr])
		t := (*[nr]float32)(acc[i*nr:])
		if betaZero {
			for j := range crow {
				crow[j] = alpha * t[j]
			}
			continue
		}
		for j := range crow {
			crow[j] = alpha*t[j] + beta*crow[j]
		}
	}
}

// kernelBlock3x4 accumulates rows 0..2 × columns 0..3 of a tile from
// packed panels (a: mr floats per k step, b: nr floats per k step, both
// starting at the block's first row/column) into rows 0..2 of out at
// columns j..j+3. Its 12 accumulators fit in the registers of amd64 and
// arm64 alike.
func kernelBlock3x4(k int, a, b []float32, out *[3 * nr]float32, j int) {
	var c00, c01, c02, c03 float32
	var c10, c11, c12, c13 float32
	var c20, c21, c22, c23 float32
	for p := 0; p < k; p++ {
		ap := (*[3]float32)(a[p*mr:])
		bp := (*[4]float32)(b[p*nr:])
		a0, a1, a2 := ap[0], ap[1], ap[2]
		b0, b1, b2, b3 := bp[0], bp[1], bp[2], bp[3]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		c20 += a2 * b0
		c21 += a2 * b1
		c22 += a2 * b2
		c23 += a2 * b3
	}
	r0 := (*[4]float32)(out[j:])
	r1 := (*[4]float32)(out[nr+j:])
	r2 := (*[4]float32)(out[2*nr+j:])
	r0[0], r0[1], r0[2], r0[3] = c00, c01, c02, c03
	r1[0], r1[1], r1[2], r1[3] = c10, c11, c12, c13
	r2[0], r2[1], r2[2], r2[3] = c20, c21, c22, c23
}

// genericPanel is the panelFunc of the generic backend: one genericKernel
// call per tile.
func genericPanel(k int, a []float32, rsa, csa, tsa int, b []float32, rsb int, c []float32, ldc, m int, alpha, beta float32, betaZero, split bool) {
	for r, h := 0, 0; r < m; r += h {
		h = tileRows(m-r, split)
		genericKernel(k, a[r*tsa:], rsa, csa, b, rsb, c[r*ldc:], ldc, h, alpha, beta, betaZero)
	}
}
