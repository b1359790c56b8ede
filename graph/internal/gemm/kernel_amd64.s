//go:build amd64 && !purego

#include "textflag.h"

// func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)
TEXT ·cpuid(SB), NOSPLIT, $0-24
	MOVL eaxArg+0(FP), AX
	MOVL ecxArg+4(FP), CX
	CPUID
	MOVL AX, eax+8(FP)
	MOVL BX, ebx+12(FP)
	MOVL CX, ecx+16(FP)
	MOVL DX, edx+20(FP)
	RET

// func xgetbv() (eax, edx uint32)
TEXT ·xgetbv(SB), NOSPLIT, $0-8
	MOVL $0, CX
	XGETBV
	MOVL AX, eax+0(FP)
	MOVL DX, edx+4(FP)
	RET

// Rank-1 updates of the accumulator tile: Y12:Y13 hold the 16 floats of
// row p of B, Y14/Y15 alternate broadcasts of A[i][p]. Rows 0..5 of the
// tile accumulate in Y0:Y1, Y2:Y3, ..., Y10:Y11. AX addresses A rows 0..2
// and BX rows 3..5 (row stride R8 bytes); SI addresses B. After the update
// the pointers advance one step along k: A by R9 bytes, B by R10 bytes.
#define LOADB \
	VMOVUPS (SI), Y12;   \
	VMOVUPS 32(SI), Y13

#define FMAROW(src, acc0, acc1, bcast) \
	VBROADCASTSS src, bcast;      \
	VFMADD231PS  Y12, bcast, acc0; \
	VFMADD231PS  Y13, bcast, acc1

#define ADVANCE \
	ADDQ R9, AX; \
	ADDQ R9, BX; \
	ADDQ R10, SI

#define STEP6 \
	LOADB;                            \
	FMAROW((AX), Y0, Y1, Y14);        \
	FMAROW((AX)(R8*1), Y2, Y3, Y15);  \
	FMAROW((AX)(R8*2), Y4, Y5, Y14);  \
	FMAROW((BX), Y6, Y7, Y15);        \
	FMAROW((BX)(R8*1), Y8, Y9, Y14);  \
	FMAROW((BX)(R8*2), Y10, Y11, Y15); \
	ADVANCE

#define STEP4 \
	LOADB;                            \
	FMAROW((AX), Y0, Y1, Y14);        \
	FMAROW((AX)(R8*1), Y2, Y3, Y15);  \
	FMAROW((AX)(R8*2), Y4, Y5, Y14);  \
	FMAROW((BX), Y6, Y7, Y15);        \
	ADVANCE

#define STEP2 \
	LOADB;                            \
	FMAROW((AX), Y0, Y1, Y14);        \
	FMAROW((AX)(R8*1), Y2, Y3, Y15);  \
	ADVANCE

// The k loop for one row variant: R11 = k/4 unrolled iterations, CX = k%4
// single steps; then jump to scale.
#define KLOOP(step, l4, t, l1) \
	TESTQ R11, R11; \
	JZ    t;        \
l4:                 \
	step;           \
	step;           \
	step;           \
	step;           \
	DECQ  R11;      \
	JNZ   l4;       \
t:                  \
	TESTQ CX, CX;   \
	JZ    scale;    \
l1:                 \
	step;           \
	DECQ  CX;       \
	JNZ   l1;       \
	JMP   scale

// Store one 16-wide row r0:r1 of the tile to (DI), overwriting C.
#define STORE0(r0, r1) \
	VMOVUPS r0, (DI);   \
	VMOVUPS r1, 32(DI)

// Store one 16-wide row r0:r1 of the tile to (DI) as r + beta*C (beta in Y15).
#define STOREB(r0, r1) \
	VFMADD231PS (DI), Y15, r0;   \
	VFMADD231PS 32(DI), Y15, r1; \
	VMOVUPS     r0, (DI);        \
	VMOVUPS     r1, 32(DI)

// func kernel6x16(k int, a *float32, rsa, csa int, b *float32, rsb int, c *float32, ldc int, mr int, alpha, beta float32, flags int)
//
// Computes the 6x16 tile T = alpha * sum_p A[:,p] B[p,:] and writes its
// first mr rows (1 <= mr <= 6) to C: C = T when flags&1 (beta is zero: C
// is not read), else C = T + beta*C; flags&2 means alpha == 1. Element
// (i,p) of A is at a[i*rsa + p*csa]; row p of B is the 16 contiguous
// floats at b[p*rsb]; row i of C is at c[i*ldc]. Only rows that are
// stored are computed: rows 0..1, 0..3 or 0..5 of A are read, as mr
// requires; all 16 columns of B are read and written.
TEXT ·kernel6x16(SB), NOSPLIT, $0-88
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), AX
	MOVQ rsa+16(FP), R8
	SHLQ $2, R8
	MOVQ csa+24(FP), R9
	SHLQ $2, R9
	MOVQ b+32(FP), SI
	MOVQ rsb+40(FP), R10
	SHLQ $2, R10
	MOVQ c+48(FP), DI
	MOVQ ldc+56(FP), DX
	SHLQ $2, DX
	MOVQ mr+64(FP), R12
	LEAQ (AX)(R8*2), BX
	ADDQ R8, BX

	// Warm the C tile while the products are computed.
	MOVQ        DI, R11
	PREFETCHT0  (R11)
	PREFETCHT0  63(R11)
	ADDQ        DX, R11
	PREFETCHT0  (R11)
	PREFETCHT0  63(R11)
	CMPQ        R12, $2
	JLE         zero
	ADDQ        DX, R11
	PREFETCHT0  (R11)
	PREFETCHT0  63(R11)
	ADDQ        DX, R11
	PREFETCHT0  (R11)
	PREFETCHT0  63(R11)
	CMPQ        R12, $4
	JLE         zero
	ADDQ        DX, R11
	PREFETCHT0  (R11)
	PREFETCHT0  63(R11)
	ADDQ        DX, R11
	PREFETCHT0  (R11)
	PREFETCHT0  63(R11)

zero:
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11

	MOVQ CX, R11
	SHRQ $2, R11
	ANDQ $3, CX
	CMPQ R12, $4
	JG   rows6
	CMPQ R12, $2
	JG   rows4
	KLOOP(STEP2, loop4r2, tailr2, loop1r2)

rows4:
	KLOOP(STEP4, loop4r4, tailr4, loop1r4)

rows6:
	KLOOP(STEP6, loop4r6, tailr6, loop1r6)

scale:
	MOVQ flags+80(FP), R13
	TESTQ $2, R13
	JNZ  store
	VBROADCASTSS alpha+72(FP), Y14
	VMULPS       Y14, Y0, Y0
	VMULPS       Y14, Y1, Y1
	VMULPS       Y14, Y2, Y2
	VMULPS       Y14, Y3, Y3
	VMULPS       Y14, Y4, Y4
	VMULPS       Y14, Y5, Y5
	VMULPS       Y14, Y6, Y6
	VMULPS       Y14, Y7, Y7
	VMULPS       Y14, Y8, Y8
	VMULPS       Y14, Y9, Y9
	VMULPS       Y14, Y10, Y10
	VMULPS       Y14, Y11, Y11

store:
	TESTQ $1, R13
	JNZ  store0

	VBROADCASTSS beta+76(FP), Y15
	STOREB(Y0, Y1)
	CMPQ R12, $1
	JLE  done
	ADDQ DX, DI
	STOREB(Y2, Y3)
	CMPQ R12, $2
	JLE  done
	ADDQ DX, DI
	STOREB(Y4, Y5)
	CMPQ R12, $3
	JLE  done
	ADDQ DX, DI
	STOREB(Y6, Y7)
	CMPQ R12, $4
	JLE  done
	ADDQ DX, DI
	STOREB(Y8, Y9)
	CMPQ R12, $5
	JLE  done
	ADDQ DX, DI
	STOREB(Y10, Y11)
	JMP  done

store0:
	STORE0(Y0, Y1)
	CMPQ R12, $1
	JLE  done
	ADDQ DX, DI
	STORE0(Y2, Y3)
	CMPQ R12, $2
	JLE  done
	ADDQ DX, DI
	STORE0(Y4, Y5)
	CMPQ R12, $3
	JLE  done
	ADDQ DX, DI
	STORE0(Y6, Y7)
	CMPQ R12, $4
	JLE  done
	ADDQ DX, DI
	STORE0(Y8, Y9)
	CMPQ R12, $5
	JLE  done
	ADDQ DX, DI
	STORE0(Y10, Y11)

done:
	VZEROUPPER
	RET

// Transpose the 8x8 block held in Y0..Y7 (row r in Yr) into Y8..Y15
// (column c in Y(8+c)). Clobbers Y0..Y7.
#define TRANSPOSE8x8 \
	VUNPCKLPS  Y1, Y0, Y8;         \
	VUNPCKHPS  Y1, Y0, Y9;         \
	VUNPCKLPS  Y3, Y2, Y10;        \
	VUNPCKHPS  Y3, Y2, Y11;        \
	VUNPCKLPS  Y5, Y4, Y12;        \
	VUNPCKHPS  Y5, Y4, Y13;        \
	VUNPCKLPS  Y7, Y6, Y14;        \
	VUNPCKHPS  Y7, Y6, Y15;        \
	VSHUFPS    $0x44, Y10, Y8, Y0; \
	VSHUFPS    $0xEE, Y10, Y8, Y1; \
	VSHUFPS    $0x44, Y11, Y9, Y2; \
	VSHUFPS    $0xEE, Y11, Y9, Y3; \
	VSHUFPS    $0x44, Y14, Y12, Y4; \
	VSHUFPS    $0xEE, Y14, Y12, Y5; \
	VSHUFPS    $0x44, Y15, Y13, Y6; \
	VSHUFPS    $0xEE, Y15, Y13, Y7; \
	VPERM2F128 $0x20, Y4, Y0, Y8;  \
	VPERM2F128 $0x20, Y5, Y1, Y9;  \
	VPERM2F128 $0x20, Y6, Y2, Y10; \
	VPERM2F128 $0x20, Y7, Y3, Y11; \
	VPERM2F128 $0x31, Y4, Y0, Y12; \
	VPERM2F128 $0x31, Y5, Y1, Y13; \
	VPERM2F128 $0x31, Y6, Y2, Y14; \
	VPERM2F128 $0x31, Y7, Y3, Y15

// Load 8 floats (one k chunk) from rows 0..7 of a 16-row group into
// Y0..Y7. R8..R11 address rows 0..3 at the current k chunk, R12 = 4 rows
// and R13 = 12 rows (in bytes).
#define LOADROWS0TO7 \
	VMOVUPS (R8), Y0;         \
	VMOVUPS (R9), Y1;         \
	VMOVUPS (R10), Y2;        \
	VMOVUPS (R11), Y3;        \
	VMOVUPS (R8)(R12*1), Y4;  \
	VMOVUPS (R9)(R12*1), Y5;  \
	VMOVUPS (R10)(R12*1), Y6; \
	VMOVUPS (R11)(R12*1), Y7

// The same for rows 8..15.
#define LOADROWS8TO15 \
	VMOVUPS (R8)(R12*2), Y0;  \
	VMOVUPS (R9)(R12*2), Y1;  \
	VMOVUPS (R10)(R12*2), Y2; \
	VMOVUPS (R11)(R12*2), Y3; \
	VMOVUPS (R8)(R13*1), Y4;  \
	VMOVUPS (R9)(R13*1), Y5;  \
	VMOVUPS (R10)(R13*1), Y6; \
	VMOVUPS (R11)(R13*1), Y7

// Store Y8..Y15 as 8 consecutive k steps of a 16-wide panel at DI (64-byte
// stride), each 8 floats wide.
#define STORE8STEPS \
	VMOVUPS Y8, (DI);     \
	VMOVUPS Y9, 64(DI);   \
	VMOVUPS Y10, 128(DI); \
	VMOVUPS Y11, 192(DI); \
	VMOVUPS Y12, 256(DI); \
	VMOVUPS Y13, 320(DI); \
	VMOVUPS Y14, 384(DI); \
	VMOVUPS Y15, 448(DI)

// func packBTrans16(dst, b *float32, ldb, kc8 int)
//
// Packs a 16-column micro-panel of op(B) = Bᵀ: dst[p*16+j] = b[j*ldb+p]
// for j < 16 and p < 8*kc8. b addresses row j0 of the stored B (the first
// column of the panel), already offset to the first k step.
TEXT ·packBTrans16(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ b+8(FP), R8
	MOVQ ldb+16(FP), R12
	SHLQ $2, R12
	MOVQ kc8+24(FP), DX
	TESTQ DX, DX
	JZ   ptdone
	LEAQ (R8)(R12*1), R9
	LEAQ (R9)(R12*1), R10
	LEAQ (R10)(R12*1), R11
	SHLQ $2, R12              // R12 = 4 rows
	LEAQ (R12)(R12*2), R13    // R13 = 12 rows

ptloop:
	LOADROWS0TO7
	TRANSPOSE8x8
	STORE8STEPS
	LOADROWS8TO15
	TRANSPOSE8x8
	ADDQ $32, DI
	STORE8STEPS
	ADDQ $(512-32), DI
	ADDQ $32, R8
	ADDQ $32, R9
	ADDQ $32, R10
	ADDQ $32, R11
	DECQ DX
	JNZ  ptloop

ptdone:
	VZEROUPPER
	RET

// func packBRows16(dst, b *float32, ldb, kc int)
//
// Packs a 16-column micro-panel of op(B) = B: dst[p*16+j] = b[p*ldb+j] for
// j < 16 and p < kc.
TEXT ·packBRows16(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ b+8(FP), SI
	MOVQ ldb+16(FP), R8
	SHLQ $2, R8
	MOVQ kc+24(FP), CX
	TESTQ CX, CX
	JZ   prdone

prloop:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	ADDQ    R8, SI
	ADDQ    $64, DI
	DECQ    CX
	JNZ     prloop

prdone:
	VZEROUPPER
	RET

// func packATrans6(dst, a *float32, lda, kc, panels int)
//
// Packs panels full 6-row micro-panels of op(A) = Aᵀ:
// dst[q*kc*6 + p*6 + i] = a[p*lda + q*6 + i] for q < panels, p < kc, i < 6.
// Eight stored rows of A are streamed together, so that each panel
// receives 48 contiguous floats (whole cache lines) at a time.
TEXT ·packATrans6(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ lda+16(FP), R8
	SHLQ $2, R8               // R8 = 1 row
	MOVQ kc+24(FP), DX
	MOVQ panels+32(FP), R10
	LEAQ (DX)(DX*2), R9
	SHLQ $3, R9               // R9 = kc*24 bytes: one panel
	LEAQ (R8)(R8*2), R13      // R13 = 3 rows
	TESTQ R10, R10
	JZ   patdone
	MOVQ DX, BX
	SHRQ $3, BX               // groups of 8 k steps
	ANDQ $7, DX               // leftover k steps
	TESTQ BX, BX
	JZ   pattail

patgroup:
	MOVQ SI, R11              // rows 0..3 of the group, current panel
	LEAQ (SI)(R8*4), R14      // rows 4..7
	MOVQ DI, R12
	MOVQ R10, CX

patgpanel:
	VMOVUPS (R11), X0
	MOVQ    16(R11), X1
	VMOVUPS X0, (R12)
	MOVQ    X1, 16(R12)
	VMOVUPS (R11)(R8*1), X2
	MOVQ    16(R11)(R8*1), X3
	VMOVUPS X2, 24(R12)
	MOVQ    X3, 40(R12)
	VMOVUPS (R11)(R8*2), X0
	MOVQ    16(R11)(R8*2), X1
	VMOVUPS X0, 48(R12)
	MOVQ    X1, 64(R12)
	VMOVUPS (R11)(R13*1), X2
	MOVQ    16(R11)(R13*1), X3
	VMOVUPS X2, 72(R12)
	MOVQ    X3, 88(R12)
	VMOVUPS (R14), X0
	MOVQ    16(R14), X1
	VMOVUPS X0, 96(R12)
	MOVQ    X1, 112(R12)
	VMOVUPS (R14)(R8*1), X2
	MOVQ    16(R14)(R8*1), X3
	VMOVUPS X2, 120(R12)
	MOVQ    X3, 136(R12)
	VMOVUPS (R14)(R8*2), X0
	MOVQ    16(R14)(R8*2), X1
	VMOVUPS X0, 144(R12)
	MOVQ    X1, 160(R12)
	VMOVUPS (R14)(R13*1), X2
	MOVQ    16(R14)(R13*1), X3
	VMOVUPS X2, 168(R12)
	MOVQ    X3, 184(R12)
	ADDQ    $24, R11
	ADDQ    $24, R14
	ADDQ    R9, R12
	DECQ    CX
	JNZ     patgpanel

	LEAQ (SI)(R8*8), SI
	ADDQ $192, DI
	DECQ BX
	JNZ  patgroup

pattail:
	TESTQ DX, DX
	JZ   patdone

patrow:
	MOVQ SI, R11
	MOVQ DI, R12
	MOVQ R10, CX

patpanel:
	VMOVUPS (R11), X0
	MOVQ    16(R11), X1
	VMOVUPS X0, (R12)
	MOVQ    X1, 16(R12)
	ADDQ    $24, R11
	ADDQ    R9, R12
	DECQ    CX
	JNZ     patpanel

	ADDQ R8, SI
	ADDQ $24, DI
	DECQ DX
	JNZ  patrow

patdone:
	RET

// func packARows6(dst, a *float32, lda, kc8 int)
//
// Packs 8*kc8 k steps of one 6-row micro-panel of op(A) = A:
// dst[p*6 + i] = a[i*lda + p] for i < 6, p < 8*kc8. Each group of 8 k
// steps is an 8x8 transpose (rows 6 and 7 are don't-cares) whose columns
// are stored with overlapping 8-float writes, so it writes 2 floats past
// dst[48*kc8-1]: the caller must have room there and overwrite them.
TEXT ·packARows6(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ a+8(FP), R8
	MOVQ lda+16(FP), R12
	SHLQ $2, R12
	MOVQ kc8+24(FP), DX
	TESTQ DX, DX
	JZ   pardone
	LEAQ (R8)(R12*1), R9
	LEAQ (R9)(R12*1), R10
	LEAQ (R10)(R12*1), R11   // rows 3; rows 4,5 = R8,R9 + 4 rows
	SHLQ $2, R12             // R12 = 4 rows

parloop:
	VMOVUPS (R8), Y0
	VMOVUPS (R9), Y1
	VMOVUPS (R10), Y2
	VMOVUPS (R11), Y3
	VMOVUPS (R8)(R12*1), Y4
	VMOVUPS (R9)(R12*1), Y5
	TRANSPOSE8x8
	VMOVUPS Y8, (DI)
	VMOVUPS Y9, 24(DI)
	VMOVUPS Y10, 48(DI)
	VMOVUPS Y11, 72(DI)
	VMOVUPS Y12, 96(DI)
	VMOVUPS Y13, 120(DI)
	VMOVUPS Y14, 144(DI)
	VMOVUPS Y15, 168(DI)
	ADDQ $192, DI
	ADDQ $32, R8
	ADDQ $32, R9
	ADDQ $32, R10
	ADDQ $32, R11
	DECQ DX
	JNZ  parloop

pardone:
	VZEROUPPER
	RET
