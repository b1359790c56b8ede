//go:build amd64 && !purego

#include "textflag.h"

// The constant vectors of avxConsts (kernel_amd64.go), 32 bytes each.
#define C_LOG2E ·avxConsts+0(SB)
#define C_MAGIC ·avxConsts+32(SB)
#define C_LN2HI ·avxConsts+64(SB)
#define C_LN2LO ·avxConsts+96(SB)
#define C_P5 ·avxConsts+128(SB)
#define C_P4 ·avxConsts+160(SB)
#define C_P3 ·avxConsts+192(SB)
#define C_P2 ·avxConsts+224(SB)
#define C_P1 ·avxConsts+256(SB)
#define C_P0 ·avxConsts+288(SB)
#define C_ONE ·avxConsts+320(SB)
#define C_EXPMAX ·avxConsts+352(SB)
#define C_EXPMIN ·avxConsts+384(SB)
#define C_NEGEXPMAX ·avxConsts+416(SB)
#define C_BIAS ·avxConsts+448(SB)
#define C_ABS ·avxConsts+480(SB)
#define C_SIGN ·avxConsts+512(SB)
#define C_TWO ·avxConsts+544(SB)
#define C_TANHMAX ·avxConsts+576(SB)
#define C_EXPOVER ·avxConsts+608(SB)
#define C_EXPUNDER ·avxConsts+640(SB)
#define C_QNAN ·avxConsts+672(SB)

// Register use: each 8-float block works in four registers (a, t, r, q);
// the loops interleave three blocks (Y0-Y3, Y4-Y7, Y8-Y11), each step
// issued for the three in turn, so that the out-of-order core overlaps
// their long dependency chains (one block alone is latency-bound: the
// polynomial and the division are ~30 dependent operations). Y14 and Y15
// hold roundMagic and 1, Y12 and Y13 ExpSum32's shift and lane sums; the
// other constants are memory operands. The input is loaded again at the
// end (for the clamps, NaNs and signs; ExpSum32 shifts it again) rather
// than kept in a fifth register.
//
// Every step is one IEEE float32 operation (VMULPS, VADDPS, VSUBPS,
// VDIVPS; no FMA) in the order of expm1Parts and sigmoidGeneric /
// tanhGeneric in generic.go, so that the results are the generic code's,
// bit for bit. Go's operand order: VSUBPS b, a, d computes d = a - b;
// VBLENDVPS m, b, a, d computes d = m ? b : a.
//
// Each step macro is one instruction for one block, given the block's
// offset from DI and its registers; SIGMOID and TANH list the steps.

// The exponential, expm1Parts: from a (clamped), t = a·log2e + roundMagic
// turned into 2^n, and q = m with e^a = 2^n (1 + m).
#define T_MUL(off, a, t, r, q) VMULPS C_LOG2E, a, t
#define T_ADD(off, a, t, r, q) VADDPS Y14, t, t
#define FN(off, a, t, r, q) VSUBPS Y14, t, q
#define R_HI(off, a, t, r, q) VMULPS C_LN2HI, q, r
#define R_SUB(off, a, t, r, q) VSUBPS r, a, r
#define R_LO(off, a, t, r, q) VMULPS C_LN2LO, q, q
#define R_SUBLO(off, a, t, r, q) VSUBPS q, r, r // r = a - fn·ln2Hi - fn·ln2Lo
#define P5(off, a, t, r, q) VMULPS C_P5, r, q
#define P4(off, a, t, r, q) VADDPS C_P4, q, q
#define MUL_R(off, a, t, r, q) VMULPS r, q, q
#define P3(off, a, t, r, q) VADDPS C_P3, q, q
#define P2(off, a, t, r, q) VADDPS C_P2, q, q
#define P1(off, a, t, r, q) VADDPS C_P1, q, q
#define P0(off, a, t, r, q) VADDPS C_P0, q, q
#define ADD_R(off, a, t, r, q) VADDPS r, q, q // m = q·r·r + r
#define BIAS(off, a, t, r, q) VPSUBD C_BIAS, t, t
#define SHIFT(off, a, t, r, q) VPSLLD $23, t, t // 2^n

#define EXPM1(X) \
	X(T_MUL); X(T_ADD); X(FN); X(R_HI); X(R_SUB); X(R_LO); X(R_SUBLO); \
	X(P5); X(P4); X(MUL_R); X(P3); X(MUL_R); X(P2); X(MUL_R); X(P1);   \
	X(MUL_R); X(P0); X(MUL_R); X(MUL_R); X(ADD_R); X(BIAS); X(SHIFT)

// Sigmoid: a = -v clamped; 1/(1 + 2^n (1 + m)); 0 where v < -expMax; NaN
// passed through.
#define LOAD(off, a, t, r, q) VMOVUPS off(DI), a
#define NEG(off, a, t, r, q) VXORPS C_SIGN, a, a
#define CLAMP_HI(off, a, t, r, q) VMINPS C_EXPMAX, a, a
#define CLAMP_LO(off, a, t, r, q) VMAXPS C_EXPMIN, a, a
#define ONE_ADD(off, a, t, r, q) VADDPS Y15, q, q
#define SCALE_MUL(off, a, t, r, q) VMULPS q, t, q
#define RECIP(off, a, t, r, q) VDIVPS q, Y15, q
#define RELOAD(off, a, t, r, q) VMOVUPS off(DI), r
#define BELOW(off, a, t, r, q) VCMPPS $0x11, C_NEGEXPMAX, r, a // v < -expMax (LT_OQ)
#define ZERO(off, a, t, r, q) VANDNPS q, a, q
#define ISNAN(off, a, t, r, q) VCMPPS $3, r, r, a // UNORD_Q
#define PASS_NAN(off, a, t, r, q) VBLENDVPS a, r, q, q
#define STORE(off, a, t, r, q) VMOVUPS q, off(DI)

#define SIGMOID(X) \
	X(LOAD); X(NEG); X(CLAMP_HI); X(CLAMP_LO); EXPM1(X);       \
	X(ONE_ADD); X(SCALE_MUL); X(ONE_ADD); X(RECIP);             \
	X(RELOAD); X(BELOW); X(ZERO); X(ISNAN); X(PASS_NAN); X(STORE)

// Tanh: a = 2|v| clamped; em1 = 2^n m + (2^n - 1); em1/(em1 + 2) with v's
// sign; NaN passed through.
#define ABS(off, a, t, r, q) VANDPS C_ABS, a, a
#define DOUBLE(off, a, t, r, q) VADDPS a, a, a
#define CLAMP_TANH(off, a, t, r, q) VMINPS C_TANHMAX, a, a
#define SCALE_M1(off, a, t, r, q) VSUBPS Y15, t, t
#define EM1(off, a, t, r, q) VADDPS t, q, q
#define EM1_2(off, a, t, r, q) VADDPS C_TWO, q, a
#define RATIO(off, a, t, r, q) VDIVPS a, q, q
#define ABS_Q(off, a, t, r, q) VANDPS C_ABS, q, q
#define SIGN(off, a, t, r, q) VANDPS C_SIGN, r, a
#define COPYSIGN(off, a, t, r, q) VORPS a, q, q

#define TANH(X) \
	X(LOAD); X(ABS); X(DOUBLE); X(CLAMP_TANH); EXPM1(X);           \
	X(SCALE_MUL); X(SCALE_M1); X(EM1); X(EM1_2); X(RATIO);         \
	X(RELOAD); X(ABS_Q); X(SIGN); X(COPYSIGN); X(ISNAN); X(PASS_NAN); X(STORE)

// Exp: a = v clamped to [expUnderflow, expOverflow], where 2^n is +0 or
// +Inf; 2^n (1 + m); NaN passed through.
#define CLAMP_OVER(off, a, t, r, q) VMINPS C_EXPOVER, a, a
#define CLAMP_UNDER(off, a, t, r, q) VMAXPS C_EXPUNDER, a, a

#define EXP(X) \
	X(LOAD); X(CLAMP_OVER); X(CLAMP_UNDER); EXPM1(X); X(ONE_ADD); X(SCALE_MUL); \
	X(RELOAD); X(ISNAN); X(PASS_NAN); X(STORE)

// ExpSum: d = v - shift (Y12), then Exp's steps on d; quietNaN where d is
// NaN; the result stored and added to the lane sums (Y13).
#define SHIFT_A(off, a, t, r, q) VSUBPS Y12, a, a
#define SHIFT_R(off, a, t, r, q) VSUBPS Y12, r, r
#define QNAN(off, a, t, r, q) VBLENDVPS a, C_QNAN, q, q
#define ACCUMULATE(off, a, t, r, q) VADDPS q, Y13, Y13

#define EXPSUM(X) \
	X(LOAD); X(SHIFT_A); X(CLAMP_OVER); X(CLAMP_UNDER); EXPM1(X); X(ONE_ADD); \
	X(SCALE_MUL); X(RELOAD); X(SHIFT_R); X(ISNAN); X(QNAN); X(STORE); X(ACCUMULATE)

// BLOCKS3 issues a step for three blocks, BLOCK1 for one.
#define BLOCKS3(step) \
	step(0, Y0, Y1, Y2, Y3);   \
	step(32, Y4, Y5, Y6, Y7);  \
	step(64, Y8, Y9, Y10, Y11)

#define BLOCK1(step) step(0, Y0, Y1, Y2, Y3)

#define LOAD_CONSTS \
	VMOVUPS C_MAGIC, Y14; \
	VMOVUPS C_ONE, Y15

// The loop of the kernels, F being SIGMOID, TANH, EXP or EXPSUM:
// F(BLOCKS3) while three blocks or more remain, then F(BLOCK1) for each
// other one, blocks in order.
#define BLOCKS_LOOP(F, three, one, done) \
	MOVQ x+0(FP), DI;      \
	MOVQ blocks+8(FP), CX; \
	LOAD_CONSTS;           \
	CMPQ CX, $3;           \
	JLT  one;              \
three:                     \
	F(BLOCKS3);            \
	ADDQ $96, DI;          \
	SUBQ $3, CX;           \
	CMPQ CX, $3;           \
	JGE  three;            \
one:                       \
	TESTQ CX, CX;          \
	JZ    done;            \
	F(BLOCK1);             \
	ADDQ  $32, DI;         \
	DECQ  CX;              \
	JMP   one;             \
done:

// func sigmoid8(x *float32, blocks int)
TEXT ·sigmoid8(SB), NOSPLIT, $0-16
	BLOCKS_LOOP(SIGMOID, sigmoid_three, sigmoid_one, sigmoid_done)
	VZEROUPPER
	RET

// func tanh8(x *float32, blocks int)
TEXT ·tanh8(SB), NOSPLIT, $0-16
	BLOCKS_LOOP(TANH, tanh_three, tanh_one, tanh_done)
	VZEROUPPER
	RET

// func exp8(x *float32, blocks int)
TEXT ·exp8(SB), NOSPLIT, $0-16
	BLOCKS_LOOP(EXP, exp_three, exp_one, exp_done)
	VZEROUPPER
	RET

// func expSum8(x *float32, blocks int, shift float32, lanes *[8]float32)
TEXT ·expSum8(SB), NOSPLIT, $0-32
	VBROADCASTSS shift+16(FP), Y12
	MOVQ         lanes+24(FP), SI
	VMOVUPS      (SI), Y13
	BLOCKS_LOOP(EXPSUM, expsum_three, expsum_one, expsum_done)
	VMOVUPS Y13, (SI)
	VZEROUPPER
	RET

// The cell kernels (cell.go): one row of an LSTM or GRU step, the gate
// rows at a stride of H floats, in blocks of 8 columns j. Each kernel
// takes the row's slices as pointers, the stride in bytes and the number
// of blocks; the Go wrappers (cell_amd64.go) pass the full blocks, then a
// partial one in stack buffers of stride 8. The forward kernels are step
// macros like the activations', for BLOCKS3 and BLOCK1, each step of a
// cell computing the bias sums or the state for one block at the
// column offset off, with the block's registers (a, t, r, q); the
// activations then run in place on one gate's blocks at DI. The order of
// the float32 operations is that of cell_generic.go: VADDPS and VMULPS
// commute, as the IEEE operations do, but the association of every sum
// and product is the Go code's.

// The LSTM forward: R8 gates, R9 bias, R10 hp (gate k at k·R11 bytes, o
// at R12 = 3·R11), AX c, BX tanhC, DX h, SI out; each advances with the
// columns.
#define LSTM_SUMS(off, a, t, r, q) \
	VMOVUPS off(R8), a; VADDPS off(R9), a, a; VADDPS off(R10), a, a; VMOVUPS a, off(R8); \
	VMOVUPS off(R8)(R11*1), t; VADDPS off(R9)(R11*1), t, t; VADDPS off(R10)(R11*1), t, t; VMOVUPS t, off(R8)(R11*1); \
	VMOVUPS off(R8)(R11*2), r; VADDPS off(R9)(R11*2), r, r; VADDPS off(R10)(R11*2), r, r; VMOVUPS r, off(R8)(R11*2); \
	VMOVUPS off(R8)(R12*1), q; VADDPS off(R9)(R12*1), q, q; VADDPS off(R10)(R12*1), q, q; VMOVUPS q, off(R8)(R12*1)

// c = f·c + i·g, stored to c and to tanhC (for Tanh in place).
#define LSTM_C(off, a, t, r, q) \
	VMOVUPS off(R8)(R11*1), a; VMULPS off(AX), a, a; \
	VMOVUPS off(R8), t; VMULPS off(R8)(R11*2), t, t; \
	VADDPS t, a, a; VMOVUPS a, off(AX); VMOVUPS a, off(BX)

// h = out = o·tanh(c).
#define LSTM_H(off, a, t, r, q) \
	VMOVUPS off(R8)(R12*1), a; VMULPS off(BX), a, a; VMOVUPS a, off(DX); VMOVUPS a, off(SI)

#define LSTM_CELL(X) \
	X(LSTM_SUMS);                               \
	MOVQ R8, DI; SIGMOID(X);                    \
	LEAQ (R8)(R11*1), DI; SIGMOID(X);           \
	LEAQ (R8)(R11*2), DI; TANH(X);              \
	LEAQ (R8)(R12*1), DI; SIGMOID(X);           \
	X(LSTM_C); MOVQ BX, DI; TANH(X); X(LSTM_H)

#define LSTM_ADVANCE(n) \
	ADDQ $n, R8; ADDQ $n, R9; ADDQ $n, R10; ADDQ $n, AX; ADDQ $n, BX; ADDQ $n, DX; ADDQ $n, SI

// The GRU forward: R8 gates, R9 biasIH, R10 biasHH, R12 hp (gate k at
// k·R11 bytes), AX hn, DX h, SI out.
// r and z: (gates + biasIH) + (hp + biasHH).
#define GRU_RZ(off, a, t, r, q) \
	VMOVUPS off(R8), a; VADDPS off(R9), a, a; VMOVUPS off(R12), t; VADDPS off(R10), t, t; VADDPS t, a, a; VMOVUPS a, off(R8); \
	VMOVUPS off(R8)(R11*1), r; VADDPS off(R9)(R11*1), r, r; VMOVUPS off(R12)(R11*1), q; VADDPS off(R10)(R11*1), q, q; VADDPS q, r, r; VMOVUPS r, off(R8)(R11*1)

// hn = hp_n + biasHH_n; n = (gates_n + biasIH_n) + hn·r.
#define GRU_N(off, a, t, r, q) \
	VMOVUPS off(R12)(R11*2), t; VADDPS off(R10)(R11*2), t, t; VMOVUPS t, off(AX); \
	VMULPS off(R8), t, t; \
	VMOVUPS off(R8)(R11*2), a; VADDPS off(R9)(R11*2), a, a; VADDPS t, a, a; VMOVUPS a, off(R8)(R11*2)

// h = out = (h - n)·z + n.
#define GRU_H(off, a, t, r, q) \
	VMOVUPS off(R8)(R11*2), a; VMOVUPS off(DX), t; VSUBPS a, t, t; VMULPS off(R8)(R11*1), t, t; VADDPS a, t, t; \
	VMOVUPS t, off(DX); VMOVUPS t, off(SI)

#define GRU_CELL(X) \
	X(GRU_RZ);                                          \
	MOVQ R8, DI; SIGMOID(X);                            \
	LEAQ (R8)(R11*1), DI; SIGMOID(X);                   \
	X(GRU_N); LEAQ (R8)(R11*2), DI; TANH(X); X(GRU_H)

#define GRU_ADVANCE(n) \
	ADDQ $n, R8; ADDQ $n, R9; ADDQ $n, R10; ADDQ $n, R12; ADDQ $n, AX; ADDQ $n, DX; ADDQ $n, SI

// COLUMNS_LOOP runs CELL over CX blocks: CELL(BLOCKS3) while three or
// more remain, then CELL(BLOCK1), ADVANCE moving the pointers past them.
#define COLUMNS_LOOP(CELL, ADVANCE, three, one, done) \
	LOAD_CONSTS;          \
	CMPQ CX, $3;          \
	JLT  one;             \
three:                    \
	CELL(BLOCKS3);        \
	ADVANCE(96);          \
	SUBQ $3, CX;          \
	CMPQ CX, $3;          \
	JGE  three;           \
one:                      \
	TESTQ CX, CX;         \
	JZ    done;           \
	CELL(BLOCK1);         \
	ADVANCE(32);          \
	DECQ  CX;             \
	JMP   one;            \
done:

// func lstmCell8(gates, bias, hp, c, tanhC, h, out *float32, stride, blocks int)
TEXT ·lstmCell8(SB), NOSPLIT, $0-72
	MOVQ gates+0(FP), R8
	MOVQ bias+8(FP), R9
	MOVQ hp+16(FP), R10
	MOVQ c+24(FP), AX
	MOVQ tanhC+32(FP), BX
	MOVQ h+40(FP), DX
	MOVQ out+48(FP), SI
	MOVQ stride+56(FP), R11
	MOVQ blocks+64(FP), CX
	LEAQ (R11)(R11*2), R12
	COLUMNS_LOOP(LSTM_CELL, LSTM_ADVANCE, lstm_three, lstm_one, lstm_done)
	VZEROUPPER
	RET

// func gruCell8(gates, biasIH, biasHH, hp, hn, h, out *float32, stride, blocks int)
TEXT ·gruCell8(SB), NOSPLIT, $0-72
	MOVQ gates+0(FP), R8
	MOVQ biasIH+8(FP), R9
	MOVQ biasHH+16(FP), R10
	MOVQ hp+24(FP), R12
	MOVQ hn+32(FP), AX
	MOVQ h+40(FP), DX
	MOVQ out+48(FP), SI
	MOVQ stride+56(FP), R11
	MOVQ blocks+64(FP), CX
	COLUMNS_LOOP(GRU_CELL, GRU_ADVANCE, gru_three, gru_one, gru_done)
	VZEROUPPER
	RET

// The backward kernels are short chains: one block per iteration, Y15
// holding 1.

// The LSTM backward: R8 dGates, R9 gates (gate k at k·R11 bytes, R12 =
// 3·R11), AX cPrev, BX tanhC, DX dOut, SI dh, DI dc.
#define LSTM_GRAD \
	VMOVUPS (SI), Y0; VADDPS (DX), Y0, Y0;                     /* dhj = dh + dOut */          \
	VMOVUPS (BX), Y1; VMOVUPS (R9)(R12*1), Y2;                 /* tanhC, o */                 \
	VMULPS Y2, Y0, Y3; VMULPS Y1, Y1, Y4; VSUBPS Y4, Y15, Y4;                                 \
	VMULPS Y4, Y3, Y3; VADDPS (DI), Y3, Y3;                    /* dcj */                      \
	VMOVUPS (R9), Y5; VMOVUPS (R9)(R11*1), Y6; VMOVUPS (R9)(R11*2), Y7; /* i, f, g */         \
	VMULPS Y7, Y3, Y8; VMULPS Y5, Y8, Y8; VSUBPS Y5, Y15, Y9; VMULPS Y9, Y8, Y8;              \
	VMOVUPS Y8, (R8);                                          /* ((dcj·g)·i)·(1 - i) */      \
	VMULPS (AX), Y3, Y10; VMULPS Y6, Y10, Y10; VSUBPS Y6, Y15, Y11; VMULPS Y11, Y10, Y10;     \
	VMOVUPS Y10, (R8)(R11*1);                                  /* ((dcj·cPrev)·f)·(1 - f) */  \
	VMULPS Y5, Y3, Y12; VMULPS Y7, Y7, Y13; VSUBPS Y13, Y15, Y13; VMULPS Y13, Y12, Y12;       \
	VMOVUPS Y12, (R8)(R11*2);                                  /* (dcj·i)·(1 - g·g) */        \
	VMULPS Y1, Y0, Y8; VMULPS Y2, Y8, Y8; VSUBPS Y2, Y15, Y9; VMULPS Y9, Y8, Y8;              \
	VMOVUPS Y8, (R8)(R12*1);                                   /* ((dhj·tanhC)·o)·(1 - o) */  \
	VMULPS Y6, Y3, Y3; VMOVUPS Y3, (DI);                       /* dc = dcj·f */               \
	VXORPS Y0, Y0, Y0; VMOVUPS Y0, (SI)                        /* dh = 0 */

#define LSTM_GRAD_ADVANCE \
	ADDQ $32, R8; ADDQ $32, R9; ADDQ $32, AX; ADDQ $32, BX; ADDQ $32, DX; ADDQ $32, SI; ADDQ $32, DI

// The GRU backward: R8 dGx, R10 dGh, R9 gates (gate k at k·R11 bytes), AX
// hPrev, BX hn, DX dOut, SI dh.
#define GRU_GRAD \
	VMOVUPS (SI), Y0; VADDPS (DX), Y0, Y0;                     /* dhj = dh + dOut */          \
	VMOVUPS (R9), Y1; VMOVUPS (R9)(R11*1), Y2; VMOVUPS (R9)(R11*2), Y3; /* r, z, n */         \
	VSUBPS Y2, Y15, Y4; VMULPS Y4, Y0, Y5;                                                    \
	VMULPS Y3, Y3, Y6; VSUBPS Y6, Y15, Y6; VMULPS Y6, Y5, Y5;  /* dn = (dhj·(1 - z))·(1 - n·n) */ \
	VMULPS (BX), Y5, Y7; VMULPS Y1, Y7, Y7; VSUBPS Y1, Y15, Y8;                               \
	VMULPS Y8, Y7, Y7;                                         /* dr = ((dn·hn)·r)·(1 - r) */ \
	VMOVUPS (AX), Y9; VSUBPS Y3, Y9, Y9; VMULPS Y9, Y0, Y9; VMULPS Y2, Y9, Y9;                \
	VMULPS Y4, Y9, Y9;                                         /* dz = ((dhj·(hPrev - n))·z)·(1 - z) */ \
	VMULPS Y1, Y5, Y10;                                        /* dn·r */                     \
	VMULPS Y2, Y0, Y0;                                         /* dh = dhj·z */               \
	VMOVUPS Y7, (R8); VMOVUPS Y9, (R8)(R11*1); VMOVUPS Y5, (R8)(R11*2);                       \
	VMOVUPS Y7, (R10); VMOVUPS Y9, (R10)(R11*1); VMOVUPS Y10, (R10)(R11*2);                   \
	VMOVUPS Y0, (SI)

#define GRU_GRAD_ADVANCE \
	ADDQ $32, R8; ADDQ $32, R10; ADDQ $32, R9; ADDQ $32, AX; ADDQ $32, BX; ADDQ $32, DX; ADDQ $32, SI

// func lstmCellGrad8(dGates, gates, cPrev, tanhC, dOut, dh, dc *float32, stride, blocks int)
TEXT ·lstmCellGrad8(SB), NOSPLIT, $0-72
	MOVQ    dGates+0(FP), R8
	MOVQ    gates+8(FP), R9
	MOVQ    cPrev+16(FP), AX
	MOVQ    tanhC+24(FP), BX
	MOVQ    dOut+32(FP), DX
	MOVQ    dh+40(FP), SI
	MOVQ    dc+48(FP), DI
	MOVQ    stride+56(FP), R11
	MOVQ    blocks+64(FP), CX
	LEAQ    (R11)(R11*2), R12
	VMOVUPS C_ONE, Y15
	TESTQ   CX, CX
	JZ      lstm_grad_done

lstm_grad_loop:
	LSTM_GRAD
	LSTM_GRAD_ADVANCE
	DECQ CX
	JNZ  lstm_grad_loop

lstm_grad_done:
	VZEROUPPER
	RET

// func gruCellGrad8(dGx, dGh, gates, hPrev, hn, dOut, dh *float32, stride, blocks int)
TEXT ·gruCellGrad8(SB), NOSPLIT, $0-72
	MOVQ    dGx+0(FP), R8
	MOVQ    dGh+8(FP), R10
	MOVQ    gates+16(FP), R9
	MOVQ    hPrev+24(FP), AX
	MOVQ    hn+32(FP), BX
	MOVQ    dOut+40(FP), DX
	MOVQ    dh+48(FP), SI
	MOVQ    stride+56(FP), R11
	MOVQ    blocks+64(FP), CX
	VMOVUPS C_ONE, Y15
	TESTQ   CX, CX
	JZ      gru_grad_done

gru_grad_loop:
	GRU_GRAD
	GRU_GRAD_ADVANCE
	DECQ CX
	JNZ  gru_grad_loop

gru_grad_done:
	VZEROUPPER
	RET

// The partial block: the tail kernels take the row's pointers at its
// first column past the full blocks, the stride, the lane mask of the
// columns that remain (mask, 8 int32s: -1 for each of them, then 0s) and
// a cellTail buffer (R13, cell_amd64.go): its gate-wide rows G0.., each 4
// blocks of 8 floats, then its state rows S0... They load the columns into
// the buffer with VMASKMOVPS (zeros in the other lanes; nothing past the
// row is read), run the cell's one-block step on the buffer (stride 32
// bytes) and store its outputs back with VMASKMOVPS (nothing past the
// row is written). CX and Y13 hold the mask; DI points at the row.
#define G0 0
#define G1 128
#define G2 256
#define G3 384
#define S0 512
#define S1 544
#define S2 576
#define S3 608
#define S4 640

// IN1 and OUT1 move one block of the row arg to the buffer at off and
// back; IN3, IN4, OUT3 and OUT4 the blocks of 3 or 4 gates.
#define IN1(arg, off) \
	MOVQ arg, DI; VMASKMOVPS (DI), Y13, Y0; VMOVUPS Y0, off(R13)

#define IN3(arg, off) \
	MOVQ arg, DI;                                                    \
	VMASKMOVPS (DI), Y13, Y0; VMOVUPS Y0, off(R13);                  \
	VMASKMOVPS (DI)(R11*1), Y13, Y1; VMOVUPS Y1, off+32(R13);        \
	VMASKMOVPS (DI)(R11*2), Y13, Y2; VMOVUPS Y2, off+64(R13)

#define IN4(arg, off) \
	IN3(arg, off); VMASKMOVPS (DI)(R12*1), Y13, Y3; VMOVUPS Y3, off+96(R13)

#define OUT1(arg, off) \
	MOVQ arg, DI; VMOVUPS off(R13), Y0; VMASKMOVPS Y0, Y13, (DI)

#define OUT3(arg, off) \
	MOVQ arg, DI;                                                    \
	VMOVUPS off(R13), Y0; VMASKMOVPS Y0, Y13, (DI);                  \
	VMOVUPS off+32(R13), Y1; VMASKMOVPS Y1, Y13, (DI)(R11*1);        \
	VMOVUPS off+64(R13), Y2; VMASKMOVPS Y2, Y13, (DI)(R11*2)

#define OUT4(arg, off) \
	OUT3(arg, off); VMOVUPS off+96(R13), Y3; VMASKMOVPS Y3, Y13, (DI)(R12*1)

// TAIL_END, with R11 the row's stride again, sets R12 to 3·R11 and Y13
// to the mask at CX (the backward steps use Y13) for the OUT macros;
// TAIL_START, with R11 the row's stride and CX the mask, does the same
// first.
#define TAIL_END \
	LEAQ (R11)(R11*2), R12; VMOVUPS (CX), Y13

// The buffer's stride, 8 floats, for the step.
#define BUFFER_STRIDE \
	MOVQ $32, R11; MOVQ $96, R12

// func lstmCellTail8(gates, bias, hp, c, tanhC, h, out *float32, stride int, mask *int32, t *cellTail)
TEXT ·lstmCellTail8(SB), NOSPLIT, $0-80
	MOVQ stride+56(FP), R11
	MOVQ mask+64(FP), CX
	MOVQ t+72(FP), R13
	TAIL_END
	IN4(gates+0(FP), G0)
	IN4(bias+8(FP), G1)
	IN4(hp+16(FP), G2)
	IN1(c+24(FP), S0)
	BUFFER_STRIDE
	LEAQ G0(R13), R8
	LEAQ G1(R13), R9
	LEAQ G2(R13), R10
	LEAQ S0(R13), AX
	LEAQ S1(R13), BX
	LEAQ S2(R13), DX
	LEAQ S3(R13), SI
	LOAD_CONSTS
	LSTM_CELL(BLOCK1)
	MOVQ stride+56(FP), R11
	TAIL_END
	OUT4(gates+0(FP), G0)
	OUT1(c+24(FP), S0)
	OUT1(tanhC+32(FP), S1)
	OUT1(h+40(FP), S2)
	OUT1(out+48(FP), S3)
	VZEROUPPER
	RET

// func gruCellTail8(gates, biasIH, biasHH, hp, hn, h, out *float32, stride int, mask *int32, t *cellTail)
TEXT ·gruCellTail8(SB), NOSPLIT, $0-80
	MOVQ stride+56(FP), R11
	MOVQ mask+64(FP), CX
	MOVQ t+72(FP), R13
	TAIL_END
	IN3(gates+0(FP), G0)
	IN3(biasIH+8(FP), G1)
	IN3(biasHH+16(FP), G2)
	IN3(hp+24(FP), G3)
	IN1(h+40(FP), S1)
	BUFFER_STRIDE
	LEAQ G0(R13), R8
	LEAQ G1(R13), R9
	LEAQ G2(R13), R10
	LEAQ G3(R13), R12
	LEAQ S0(R13), AX
	LEAQ S1(R13), DX
	LEAQ S2(R13), SI
	LOAD_CONSTS
	GRU_CELL(BLOCK1)
	MOVQ stride+56(FP), R11
	TAIL_END
	OUT3(gates+0(FP), G0)
	OUT1(hn+32(FP), S0)
	OUT1(h+40(FP), S1)
	OUT1(out+48(FP), S2)
	VZEROUPPER
	RET

// func lstmCellGradTail8(dGates, gates, cPrev, tanhC, dOut, dh, dc *float32, stride int, mask *int32, t *cellTail)
TEXT ·lstmCellGradTail8(SB), NOSPLIT, $0-80
	MOVQ stride+56(FP), R11
	MOVQ mask+64(FP), CX
	MOVQ t+72(FP), R13
	TAIL_END
	IN4(gates+8(FP), G1)
	IN1(cPrev+16(FP), S0)
	IN1(tanhC+24(FP), S1)
	IN1(dOut+32(FP), S2)
	IN1(dh+40(FP), S3)
	IN1(dc+48(FP), S4)
	BUFFER_STRIDE
	LEAQ    G0(R13), R8
	LEAQ    G1(R13), R9
	LEAQ    S0(R13), AX
	LEAQ    S1(R13), BX
	LEAQ    S2(R13), DX
	LEAQ    S3(R13), SI
	LEAQ    S4(R13), DI
	VMOVUPS C_ONE, Y15
	LSTM_GRAD
	MOVQ stride+56(FP), R11
	TAIL_END
	OUT4(dGates+0(FP), G0)
	OUT1(dh+40(FP), S3)
	OUT1(dc+48(FP), S4)
	VZEROUPPER
	RET

// func gruCellGradTail8(dGx, dGh, gates, hPrev, hn, dOut, dh *float32, stride int, mask *int32, t *cellTail)
TEXT ·gruCellGradTail8(SB), NOSPLIT, $0-80
	MOVQ stride+56(FP), R11
	MOVQ mask+64(FP), CX
	MOVQ t+72(FP), R13
	TAIL_END
	IN3(gates+16(FP), G2)
	IN1(hPrev+24(FP), S0)
	IN1(hn+32(FP), S1)
	IN1(dOut+40(FP), S2)
	IN1(dh+48(FP), S3)
	BUFFER_STRIDE
	LEAQ    G0(R13), R8
	LEAQ    G1(R13), R10
	LEAQ    G2(R13), R9
	LEAQ    S0(R13), AX
	LEAQ    S1(R13), BX
	LEAQ    S2(R13), DX
	LEAQ    S3(R13), SI
	VMOVUPS C_ONE, Y15
	GRU_GRAD
	MOVQ stride+56(FP), R11
	TAIL_END
	OUT3(dGx+0(FP), G0)
	OUT3(dGh+8(FP), G1)
	OUT1(dh+48(FP), S3)
	VZEROUPPER
	RET
