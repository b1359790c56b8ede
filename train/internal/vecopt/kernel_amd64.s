//go:build amd64 && !purego

#include "go_asm.h"
#include "textflag.h"

// The optimizer kernels. Each iteration updates one block of 8 float32s
// at byte offset BX from the base pointers: SI = p, DI = g, R8 and R9 =
// the state buffers; CX counts the blocks left, DX holds the flags
// (flagDecay, flagSkip, flagFirst, flagNesterov of kernel_amd64.go).
//
// Each operation is the one of the generic kernel (generic.go) at the same
// place: VFMADD231PS where the Go code calls fma32 (both round x·y + z
// once), VMULPS, VADDPS, VDIVPS, VSQRTPS where it rounds a product, sum,
// quotient or square root on its own, with the same operands, so that the
// two give the same bits. Go's operand order: VFMADD231PS c, b, a computes
// a = b·c + a; VDIVPS b, a, d computes d = a/b.
//
// With flagSkip, a block whose gradient and state are all zero is left as
// it is without reading p, as the generic kernel leaves such elements:
// the update would add -0 to p, which changes no bit of a number. (It
// would quieten a signalling NaN; NaN payloads are outside the guarantee.)
// Skipping whole blocks and single elements gives the same result.
//
// Registers common to the kernels: Y0 = g, Y1 = first state (m, buf),
// Y2 = second state (v, s), Y3 = p, Y4 and Y5 temporaries, Y6 =
// WeightDecay, Y13 = the negated learning rate or step size, Y14 = 0x7fffffff
// in each lane (|x| mask), Y15 = 0 (stored into g).

#define BASE_REGS \
	VPCMPEQD Y14, Y14, Y14; \
	VPSRLD   $1, Y14, Y14;  \
	VXORPS   Y15, Y15, Y15; \
	XORQ     BX, BX

// PREFETCH asks for the cache line 512 bytes (16 blocks) ahead in the
// stream at base: the hardware prefetchers alone leave the loops waiting
// on memory for the 22 MB of a 1.4M-parameter Adam state (10-20% slower on
// the Zen 3 development machine). The parameters are prefetched only by
// blocks that update them, so that skipped rows are not read.
#define PREFETCH(base) PREFETCHT0 512(base)(BX*1)

// LOAD_P prefetches ahead in p and loads its block into Y3 (only blocks
// that update p read it), then adds WeightDecay·p to the gradient when
// flagDecay is set.
#define LOAD_P(nodecay) \
	PREFETCH(SI);                     \
	VMOVUPS     (SI)(BX*1), Y3;       \
	TESTQ       $const_flagDecay, DX; \
	JZ          nodecay;              \
	VFMADD231PS Y3, Y6, Y0;           /* g = fma(wd, p, g) */ \
nodecay:

// NEXT_BLOCK moves BX to the next block and jumps back to loop while
// blocks are left.
#define NEXT_BLOCK(loop) \
	ADDQ $32, BX; \
	DECQ CX;      \
	JNZ  loop

// func adam8(k *Adam, p, grad, m, v *float32, blocks, flags int)
//
// Y7 = Beta1, Y8 = OneMinusBeta1, Y9 = Beta2, Y10 = OneMinusBeta2,
// Y11 = BiasCorrection2Sqrt, Y12 = Eps, Y13 = NegStepSize.
TEXT ·adam8(SB), NOSPLIT, $0-56
	MOVQ k+0(FP), AX
	MOVQ p+8(FP), SI
	MOVQ grad+16(FP), DI
	MOVQ m+24(FP), R8
	MOVQ v+32(FP), R9
	MOVQ blocks+40(FP), CX
	MOVQ flags+48(FP), DX
	VBROADCASTSS Adam_WeightDecay(AX), Y6
	VBROADCASTSS Adam_Beta1(AX), Y7
	VBROADCASTSS Adam_OneMinusBeta1(AX), Y8
	VBROADCASTSS Adam_Beta2(AX), Y9
	VBROADCASTSS Adam_OneMinusBeta2(AX), Y10
	VBROADCASTSS Adam_BiasCorrection2Sqrt(AX), Y11
	VBROADCASTSS Adam_Eps(AX), Y12
	VBROADCASTSS Adam_NegStepSize(AX), Y13
	BASE_REGS
	TESTQ CX, CX
	JZ    adam_done

adam_loop:
	PREFETCH(DI)
	PREFETCH(R8)
	PREFETCH(R9)
	VMOVUPS (DI)(BX*1), Y0
	TESTQ   $const_flagSkip, DX
	JZ      adam_update
	VPTEST  Y14, Y0           // any |g| != 0 (a gradient of -0 may be skipped)
	JNZ     adam_update
	VMOVUPS (R8)(BX*1), Y4
	VPOR    (R9)(BX*1), Y4, Y4
	VPTEST  Y4, Y4            // any bit of m or v
	JNZ     adam_update
	VPTEST  Y0, Y0            // zero the gradients of -0
	JZ      adam_next
	VMOVUPS Y15, (DI)(BX*1)
	JMP     adam_next

adam_update:
	LOAD_P(adam_nodecay)
	VMULPS      (R8)(BX*1), Y7, Y1 // m·Beta1
	VFMADD231PS Y0, Y8, Y1         // m = fma(OneMinusBeta1, g, m·Beta1)
	VMULPS      Y0, Y10, Y4        // OneMinusBeta2·g
	VMULPS      (R9)(BX*1), Y9, Y2 // v·Beta2
	VFMADD231PS Y0, Y4, Y2         // v = fma(OneMinusBeta2·g, g, v·Beta2)
	VSQRTPS     Y2, Y5
	VDIVPS      Y11, Y5, Y5        // sqrt(v)/BiasCorrection2Sqrt
	VADDPS      Y12, Y5, Y5        // + Eps
	VMULPS      Y1, Y13, Y4        // NegStepSize·m
	VDIVPS      Y5, Y4, Y4
	VADDPS      Y4, Y3, Y3         // p + NegStepSize·m/denominator
	VMOVUPS     Y3, (SI)(BX*1)
	VMOVUPS     Y1, (R8)(BX*1)
	VMOVUPS     Y2, (R9)(BX*1)
	VMOVUPS     Y15, (DI)(BX*1)

adam_next:
	NEXT_BLOCK(adam_loop)

adam_done:
	VZEROUPPER
	RET

// func sgd8(k *SGD, p, grad *float32, blocks, flags int)
TEXT ·sgd8(SB), NOSPLIT, $0-40
	MOVQ k+0(FP), AX
	MOVQ p+8(FP), SI
	MOVQ grad+16(FP), DI
	MOVQ blocks+24(FP), CX
	MOVQ flags+32(FP), DX
	VBROADCASTSS SGD_WeightDecay(AX), Y6
	VBROADCASTSS SGD_NegLR(AX), Y13
	BASE_REGS
	TESTQ CX, CX
	JZ    sgd_done

sgd_loop:
	PREFETCH(DI)
	VMOVUPS (DI)(BX*1), Y0
	TESTQ   $const_flagSkip, DX
	JZ      sgd_update
	VPTEST  Y0, Y0            // any g other than +0
	JZ      sgd_next          // g is +0 already

sgd_update:
	LOAD_P(sgd_nodecay)
	VFMADD231PS Y0, Y13, Y3   // p = fma(NegLR, g, p)
	VMOVUPS     Y3, (SI)(BX*1)
	VMOVUPS     Y15, (DI)(BX*1)

sgd_next:
	NEXT_BLOCK(sgd_loop)

sgd_done:
	VZEROUPPER
	RET

// func sgdMomentum8(k *SGD, p, grad, buf *float32, blocks, flags int)
//
// Y7 = Momentum, Y8 = OneMinusDampening.
TEXT ·sgdMomentum8(SB), NOSPLIT, $0-48
	MOVQ k+0(FP), AX
	MOVQ p+8(FP), SI
	MOVQ grad+16(FP), DI
	MOVQ buf+24(FP), R8
	MOVQ blocks+32(FP), CX
	MOVQ flags+40(FP), DX
	VBROADCASTSS SGD_WeightDecay(AX), Y6
	VBROADCASTSS SGD_Momentum(AX), Y7
	VBROADCASTSS SGD_OneMinusDampening(AX), Y8
	VBROADCASTSS SGD_NegLR(AX), Y13
	BASE_REGS
	TESTQ CX, CX
	JZ    sgdm_done

sgdm_loop:
	PREFETCH(DI)
	PREFETCH(R8)
	VMOVUPS (DI)(BX*1), Y0
	TESTQ   $const_flagSkip, DX
	JZ      sgdm_update
	VPOR    (R8)(BX*1), Y0, Y4
	VPTEST  Y4, Y4            // any g or buf other than +0
	JZ      sgdm_next

sgdm_update:
	LOAD_P(sgdm_nodecay)
	TESTQ   $const_flagFirst, DX
	JNZ     sgdm_first
	VMULPS      (R8)(BX*1), Y7, Y1 // buf·Momentum
	VFMADD231PS Y0, Y8, Y1         // buf = fma(OneMinusDampening, g, buf·Momentum)
	JMP         sgdm_nesterov

sgdm_first:
	VMOVAPS Y0, Y1            // buf = g

sgdm_nesterov:
	TESTQ       $const_flagNesterov, DX
	JZ          sgdm_plain
	VFMADD231PS Y1, Y7, Y0    // g = fma(Momentum, buf, g)
	JMP         sgdm_apply

sgdm_plain:
	VMOVAPS Y1, Y0            // g = buf

sgdm_apply:
	VFMADD231PS Y0, Y13, Y3   // p = fma(NegLR, g, p)
	VMOVUPS     Y3, (SI)(BX*1)
	VMOVUPS     Y1, (R8)(BX*1)
	VMOVUPS     Y15, (DI)(BX*1)

sgdm_next:
	NEXT_BLOCK(sgdm_loop)

sgdm_done:
	VZEROUPPER
	RET

// RMSPROP_V computes, from g (Y0) and the state v at R8, v = fma(OneMinusAlpha·g,
// g, v·Alpha) into Y2 and a = sqrt(v) + Eps into Y5, with Y9 = Alpha,
// Y10 = OneMinusAlpha, Y12 = Eps.
#define RMSPROP_V \
	VMULPS      Y0, Y10, Y4;        /* OneMinusAlpha·g */ \
	VMULPS      (R8)(BX*1), Y9, Y2; /* v·Alpha */ \
	VFMADD231PS Y0, Y4, Y2;         \
	VSQRTPS     Y2, Y5;             \
	VADDPS      Y12, Y5, Y5

// func rmsprop8(k *RMSprop, p, grad, v *float32, blocks, flags int)
TEXT ·rmsprop8(SB), NOSPLIT, $0-48
	MOVQ k+0(FP), AX
	MOVQ p+8(FP), SI
	MOVQ grad+16(FP), DI
	MOVQ v+24(FP), R8
	MOVQ blocks+32(FP), CX
	MOVQ flags+40(FP), DX
	VBROADCASTSS RMSprop_WeightDecay(AX), Y6
	VBROADCASTSS RMSprop_Alpha(AX), Y9
	VBROADCASTSS RMSprop_OneMinusAlpha(AX), Y10
	VBROADCASTSS RMSprop_Eps(AX), Y12
	VBROADCASTSS RMSprop_NegLR(AX), Y13
	BASE_REGS
	TESTQ CX, CX
	JZ    rms_done

rms_loop:
	PREFETCH(DI)
	PREFETCH(R8)
	VMOVUPS (DI)(BX*1), Y0
	TESTQ   $const_flagSkip, DX
	JZ      rms_update
	VPOR    (R8)(BX*1), Y0, Y4
	VPTEST  Y4, Y4            // any g or v other than +0
	JZ      rms_next

rms_update:
	LOAD_P(rms_nodecay)
	RMSPROP_V
	VMULPS  Y0, Y13, Y4       // NegLR·g
	VDIVPS  Y5, Y4, Y4
	VADDPS  Y4, Y3, Y3        // p + NegLR·g/a
	VMOVUPS Y3, (SI)(BX*1)
	VMOVUPS Y2, (R8)(BX*1)
	VMOVUPS Y15, (DI)(BX*1)

rms_next:
	NEXT_BLOCK(rms_loop)

rms_done:
	VZEROUPPER
	RET

// func rmspropMomentum8(k *RMSprop, p, grad, v, buf *float32, blocks, flags int)
//
// Y7 = Momentum; buf at R9.
TEXT ·rmspropMomentum8(SB), NOSPLIT, $0-56
	MOVQ k+0(FP), AX
	MOVQ p+8(FP), SI
	MOVQ grad+16(FP), DI
	MOVQ v+24(FP), R8
	MOVQ buf+32(FP), R9
	MOVQ blocks+40(FP), CX
	MOVQ flags+48(FP), DX
	VBROADCASTSS RMSprop_WeightDecay(AX), Y6
	VBROADCASTSS RMSprop_Momentum(AX), Y7
	VBROADCASTSS RMSprop_Alpha(AX), Y9
	VBROADCASTSS RMSprop_OneMinusAlpha(AX), Y10
	VBROADCASTSS RMSprop_Eps(AX), Y12
	VBROADCASTSS RMSprop_NegLR(AX), Y13
	BASE_REGS
	TESTQ CX, CX
	JZ    rmsm_done

rmsm_loop:
	PREFETCH(DI)
	PREFETCH(R8)
	PREFETCH(R9)
	VMOVUPS (DI)(BX*1), Y0
	TESTQ   $const_flagSkip, DX
	JZ      rmsm_update
	VPOR    (R8)(BX*1), Y0, Y4
	VPOR    (R9)(BX*1), Y4, Y4
	VPTEST  Y4, Y4            // any g, v or buf other than +0
	JZ      rmsm_next

rmsm_update:
	LOAD_P(rmsm_nodecay)
	RMSPROP_V
	VMULPS      (R9)(BX*1), Y7, Y1 // buf·Momentum
	VDIVPS      Y5, Y0, Y4         // g/a
	VADDPS      Y4, Y1, Y1         // buf = buf·Momentum + g/a
	VFMADD231PS Y1, Y13, Y3        // p = fma(NegLR, buf, p)
	VMOVUPS     Y3, (SI)(BX*1)
	VMOVUPS     Y2, (R8)(BX*1)
	VMOVUPS     Y1, (R9)(BX*1)
	VMOVUPS     Y15, (DI)(BX*1)

rmsm_next:
	NEXT_BLOCK(rmsm_loop)

rmsm_done:
	VZEROUPPER
	RET

// func adagrad8(k *Adagrad, p, grad, s *float32, blocks, flags int)
//
// Y11 = the bits of +Inf in each lane, Y12 = Eps, Y13 = NegLR; s at R8.
TEXT ·adagrad8(SB), NOSPLIT, $0-48
	MOVQ k+0(FP), AX
	MOVQ p+8(FP), SI
	MOVQ grad+16(FP), DI
	MOVQ s+24(FP), R8
	MOVQ blocks+32(FP), CX
	MOVQ flags+40(FP), DX
	VBROADCASTSS Adagrad_WeightDecay(AX), Y6
	VBROADCASTSS Adagrad_Eps(AX), Y12
	VBROADCASTSS Adagrad_NegLR(AX), Y13
	MOVL         $const_maxSumBits, AX
	MOVD         AX, X11
	VPBROADCASTD X11, Y11
	BASE_REGS
	TESTQ CX, CX
	JZ    ada_done

ada_loop:
	PREFETCH(DI)
	PREFETCH(R8)
	VMOVUPS   (DI)(BX*1), Y0
	TESTQ     $const_flagSkip, DX
	JZ        ada_update
	VPTEST    Y0, Y0          // any g other than +0
	JNZ       ada_update
	VPMAXUD   (R8)(BX*1), Y11, Y4
	VPCMPEQD  Y11, Y4, Y4     // lanes whose bits are at most +Inf's: s in [+0, +Inf]
	VMOVMSKPS Y4, AX
	CMPL      AX, $0xff
	JE        ada_next

ada_update:
	LOAD_P(ada_nodecay)
	VMOVUPS     (R8)(BX*1), Y2
	VFMADD231PS Y0, Y0, Y2    // s = fma(g, g, s)
	VSQRTPS     Y2, Y5
	VADDPS      Y12, Y5, Y5   // sqrt(s) + Eps
	VMULPS      Y0, Y13, Y4   // NegLR·g
	VDIVPS      Y5, Y4, Y4
	VADDPS      Y4, Y3, Y3
	VMOVUPS     Y3, (SI)(BX*1)
	VMOVUPS     Y2, (R8)(BX*1)
	VMOVUPS     Y15, (DI)(BX*1)

ada_next:
	NEXT_BLOCK(ada_loop)

ada_done:
	VZEROUPPER
	RET
