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
