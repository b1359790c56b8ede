package vecmath

// The portable cell kernels, the reference for the assembly. They are
// graph's scalar rows as first written, with every product that meets an
// addition or a subtraction rounded explicitly (float32(x*y)), which keeps
// compilers from fusing the two into one FMA; the elementwise loops run
// in any order, and the activations are sigmoidGeneric and tanhGeneric.

// lstmCellGeneric is the portable LSTMCell32, the slices already sized.
func lstmCellGeneric(gates, bias, hp, c, tanhC, h, out []float32) {
	n := len(c)
	for j, v := range gates {
		gates[j] = (v + bias[j]) + hp[j]
	}
	sigmoidGeneric(gates[:2*n])
	tanhGeneric(gates[2*n : 3*n])
	sigmoidGeneric(gates[3*n:])
	ig, f, g, o := gates[:n], gates[n:2*n], gates[2*n:3*n], gates[3*n:]
	for j, cj := range c {
		cj = float32(f[j]*cj) + float32(ig[j]*g[j])
		c[j], tanhC[j] = cj, cj
	}
	tanhGeneric(tanhC)
	for j, t := range tanhC {
		v := o[j] * t
		h[j], out[j] = v, v
	}
}

// gruCellGeneric is the portable GRUCell32, the slices already sized.
func gruCellGeneric(gates, biasIH, biasHH, hp, hn, h, out []float32) {
	n := len(h)
	rz := gates[:2*n]
	for j, v := range rz {
		rz[j] = (v + biasIH[j]) + (hp[j] + biasHH[j])
	}
	sigmoidGeneric(rz)
	r, z, ng := gates[:n], gates[n:2*n], gates[2*n:]
	hpN, bI, bH := hp[2*n:], biasIH[2*n:], biasHH[2*n:]
	for j, v := range ng {
		hn[j] = hpN[j] + bH[j]
		ng[j] = (v + bI[j]) + float32(hn[j]*r[j])
	}
	tanhGeneric(ng)
	for j, nj := range ng {
		v := float32((h[j]-nj)*z[j]) + nj
		h[j], out[j] = v, v
	}
}

// lstmCellGradGeneric is the portable LSTMCellGrad32, the slices already
// sized.
func lstmCellGradGeneric(dGates, gates, cPrev, tanhC, dOut, dh, dc []float32) {
	n := len(dh)
	for j := range dh {
		ig, f, g, o, tc := gates[j], gates[n+j], gates[2*n+j], gates[3*n+j], tanhC[j]
		dhj := dh[j] + dOut[j]
		dcj := dc[j] + float32(dhj*o*(1-float32(tc*tc)))
		dGates[j] = dcj * g * ig * (1 - ig)
		dGates[n+j] = dcj * cPrev[j] * f * (1 - f)
		dGates[2*n+j] = dcj * ig * (1 - float32(g*g))
		dGates[3*n+j] = dhj * tc * o * (1 - o)
		dc[j] = dcj * f
		dh[j] = 0
	}
}

// gruCellGradGeneric is the portable GRUCellGrad32, the slices already
// sized.
func gruCellGradGeneric(dGx, dGh, gates, hPrev, hn, dOut, dh []float32) {
	n := len(dh)
	for j := range dh {
		r, z, ng := gates[j], gates[n+j], gates[2*n+j]
		dhj := dh[j] + dOut[j]
		dn := dhj * (1 - z) * (1 - float32(ng*ng))
		dr := dn * hn[j] * r * (1 - r)
		dz := dhj * (hPrev[j] - ng) * z * (1 - z)
		dGx[j], dGx[n+j], dGx[2*n+j] = dr, dz, dn
		dGh[j], dGh[n+j], dGh[2*n+j] = dr, dz, dn*r
		dh[j] = dhj * z
	}
}
