//go:build amd64 && !purego

#include "textflag.h"

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

// The FMAs of rows 0..n-1 of the tile for one k step.
#define ROWS1 FMAROW((AX), Y0, Y1, Y14)
#define ROWS2 ROWS1; FMAROW((AX)(R8*1), Y2, Y3, Y15)
#define ROWS3 ROWS2; FMAROW((AX)(R8*2), Y4, Y5, Y14)
#define ROWS4 ROWS3; FMAROW((BX), Y6, Y7, Y15)
#define ROWS5 ROWS4; FMAROW((BX)(R8*1), Y8, Y9, Y14)
#define ROWS6 ROWS5; FMAROW((BX)(R8*2), Y10, Y11, Y15)

// One k step of a tile of the given ROWSn rows.
#define STEP(rows) \
	LOADB; \
	rows;  \
	ADVANCE

// The k loop of kernelPanel and kernelThin, for one variant of the k step:
// R11 = k/4 unrolled iterations, CX = k%4 single steps; then jump to done.
#define KLOOP(step, l4, t, l1, done) \
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
	JZ    done;     \
l1:                 \
	step;           \
	DECQ  CX;       \
	JNZ   l1;       \
	JMP   done

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

// Store rows 0..R12-1 of the tile at DI, DI+DX, ... with store(r0, r1);
// a tile of fewer than 6 rows jumps to next after its last row.
#define STOREROWS(store) \
	store(Y0, Y1);   \
	CMPQ R12, $1;    \
	JLE  next;       \
	ADDQ DX, DI;     \
	store(Y2, Y3);   \
	CMPQ R12, $2;    \
	JLE  next;       \
	ADDQ DX, DI;     \
	store(Y4, Y5);   \
	CMPQ R12, $3;    \
	JLE  next;       \
	ADDQ DX, DI;     \
	store(Y6, Y7);   \
	CMPQ R12, $4;    \
	JLE  next;       \
	ADDQ DX, DI;     \
	store(Y8, Y9);   \
	CMPQ R12, $5;    \
	JLE  next;       \
	ADDQ DX, DI;     \
	store(Y10, Y11)

// func kernelPanel(k int, a *float32, rsa, csa, tsa int, b *float32, rsb int, c *float32, ldc int, m int, alpha, beta float32, flags int)
//
// Computes rows 0..m-1 (m >= 1) of the 16-column panel C = alpha * A B +
// beta*C as a column of tiles of at most 6 rows, each tile T = alpha *
// sum_p A[:,p] B[p,:] being stored as C = T when flags&1 (beta is zero: C
// is not read), else as C = T + beta*C; flags&2 means alpha == 1. Tiles
// have 6 rows, except the last: min(remaining, 6) rows, or with flags&4,
// when 7 or 8 rows remain, 4 rows (then 3 or 4).
//
// Element (i,p) of the tile that starts at row r of the panel is at
// a[r*tsa + i*rsa + p*csa] (tsa = rsa for A read in place; tsa = k and
// rsa = 1, csa = 6 for A packed in 6-row panels); row p of B is the 16
// contiguous floats at b[p*rsb]; row i of C is at c[i*ldc]. Only rows
// that are stored are computed: a tile of mr rows reads rows 0..mr-1 of
// its A and writes rows 0..mr-1 of its C; all 16 columns of B are read
// and of C written.
//
// Registers: R14 and R15 address the A and C of the current tile, R12
// holds its rows, R13 the flags; m+72(FP) counts the rows left.
TEXT ·kernelPanel(SB), NOSPLIT, $0-96
	MOVQ a+8(FP), R14
	MOVQ rsa+16(FP), R8
	SHLQ $2, R8
	MOVQ csa+24(FP), R9
	SHLQ $2, R9
	MOVQ rsb+48(FP), R10
	SHLQ $2, R10
	MOVQ c+56(FP), R15
	MOVQ ldc+64(FP), DX
	SHLQ $2, DX
	MOVQ flags+88(FP), R13
	MOVQ m+72(FP), R11
	TESTQ R11, R11
	JLE  end

tile:
	// The rows of this tile: min(left, 6), or 4 when splitting 7 or 8.
	MOVQ  m+72(FP), R11
	MOVQ  R11, R12
	CMPQ  R11, $6
	JLE   rowsset
	MOVQ  $6, R12
	TESTQ $4, R13
	JZ    rowsset
	CMPQ  R11, $8
	JG    rowsset
	MOVQ  $4, R12

rowsset:
	SUBQ R12, R11
	MOVQ R11, m+72(FP)
	MOVQ R14, AX
	LEAQ (AX)(R8*2), BX
	ADDQ R8, BX
	MOVQ b+40(FP), SI
	MOVQ R15, DI
	MOVQ k+0(FP), CX

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
	JG   rows56
	JE   rows4
	CMPQ R12, $2
	JG   rows3
	JE   rows2
	KLOOP(STEP(ROWS1), loop4r1, tailr1, loop1r1, scale)

rows2:
	KLOOP(STEP(ROWS2), loop4r2, tailr2, loop1r2, scale)

rows3:
	KLOOP(STEP(ROWS3), loop4r3, tailr3, loop1r3, scale)

rows4:
	KLOOP(STEP(ROWS4), loop4r4, tailr4, loop1r4, scale)

rows56:
	CMPQ R12, $5
	JE   rows5
	KLOOP(STEP(ROWS6), loop4r6, tailr6, loop1r6, scale)

rows5:
	KLOOP(STEP(ROWS5), loop4r5, tailr5, loop1r5, scale)

scale:
	TESTQ        $2, R13
	JNZ          store
	VBROADCASTSS alpha+80(FP), Y14
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
	JNZ   store0

	VBROADCASTSS beta+84(FP), Y15
	STOREROWS(STOREB)
	JMP  next

store0:
	STOREROWS(STORE0)

next:
	// Advance A by R12 tile rows (tsa floats each) and C by R12 rows.
	MOVQ  tsa+32(FP), R11
	IMULQ R12, R11
	LEAQ  (R14)(R11*4), R14
	MOVQ  DX, R11
	IMULQ R12, R11
	ADDQ  R11, R15
	MOVQ  m+72(FP), R11
	TESTQ R11, R11
	JG    tile

end:
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

// Load row p of two panels of B, at base and base+R12, into Y8:Y9 and
// Y10:Y11.
#define LOAD2PANELS(base) \
	VMOVUPS (base), Y8;          \
	VMOVUPS 32(base), Y9;        \
	VMOVUPS (base)(R12*1), Y10;  \
	VMOVUPS 32(base)(R12*1), Y11

// Accumulate the broadcast bcast times Y8..Y11 into acc0..acc3.
#define FMA2PANELS(bcast, acc0, acc1, acc2, acc3) \
	VFMADD231PS Y8, bcast, acc0;  \
	VFMADD231PS Y9, bcast, acc1;  \
	VFMADD231PS Y10, bcast, acc2; \
	VFMADD231PS Y11, bcast, acc3

// One k step of a 1-row tile over 4 panels: Y0:Y1, Y2:Y3, Y4:Y5, Y6:Y7
// accumulate panels 0..3 (at SI, SI+R12, SI+2*R12, SI+3*R12 = R13+R12).
#define THIN1x4 \
	VBROADCASTSS (AX), Y14;          \
	LOAD2PANELS(SI);                 \
	FMA2PANELS(Y14, Y0, Y1, Y2, Y3); \
	LOAD2PANELS(R13);                \
	FMA2PANELS(Y14, Y4, Y5, Y6, Y7); \
	ADDQ         R9, AX;             \
	ADDQ         R10, SI;            \
	ADDQ         R10, R13

// One k step of a 1-row tile over 2 panels: Y0:Y1, Y2:Y3.
#define THIN1x2 \
	VBROADCASTSS (AX), Y14;          \
	LOAD2PANELS(SI);                 \
	FMA2PANELS(Y14, Y0, Y1, Y2, Y3); \
	ADDQ         R9, AX;             \
	ADDQ         R10, SI

// One k step of a 2-row tile over 2 panels: row 0 in Y0:Y1, Y2:Y3, row 1
// in Y4:Y5, Y6:Y7.
#define THIN2x2 \
	VBROADCASTSS (AX), Y14;          \
	VBROADCASTSS (AX)(R8*1), Y15;    \
	LOAD2PANELS(SI);                 \
	FMA2PANELS(Y14, Y0, Y1, Y2, Y3); \
	FMA2PANELS(Y15, Y4, Y5, Y6, Y7); \
	ADDQ         R9, AX;             \
	ADDQ         R10, SI

// Store 32 floats r0:r1:r2:r3 at (DI) with store(r0, r1) and store(r2, r3)
// (STOREB or STORE0).
#define STORE32(store, r0, r1, r2, r3) \
	store(r0, r1);  \
	ADDQ $64, DI;   \
	store(r2, r3);  \
	SUBQ $64, DI

// The stores of kernelThin with store (STOREB or STORE0): row 0 of the
// tile is Y0..Y3 and, over 4 panels, Y4..Y7; row 1 is Y4..Y7 at DI+DX.
// BX holds rows and CX panels; two labels the 2-row case.
#define THINSTORE(store, two) \
	STORE32(store, Y0, Y1, Y2, Y3); \
	CMPQ BX, $2;                    \
	JE   two;                       \
	CMPQ CX, $4;                    \
	JNE  thinend;                   \
	ADDQ $128, DI;                  \
	STORE32(store, Y4, Y5, Y6, Y7); \
	JMP  thinend;                   \
two:                                \
	ADDQ DX, DI;                    \
	STORE32(store, Y4, Y5, Y6, Y7)

// func kernelThin(k int, a *float32, rsa, csa int, b *float32, rsb, psb int, c *float32, ldc int, rows, panels int, alpha, beta float32, flags int)
//
// Computes the tile of 1 or 2 rows (rows) and 16*panels contiguous
// columns of C = alpha * A B + beta*C, for panels = 2 or 4 with rows = 1
// and panels = 2 with rows = 2: each element exactly as kernelPanel computes it
// (the same FMAs in the same order), with enough accumulators (8 YMM) to
// cover the FMA latency, which a 16-column tile of 1 or 2 rows cannot.
// Flags as for kernelPanel (flagSplit ignored). Element (i,p) of A is at
// a[i*rsa + p*csa]; panel j of B starts at b[j*psb], its row p being the
// 16 contiguous floats at b[j*psb + p*rsb]; row i of C is at c[i*ldc].
TEXT ·kernelThin(SB), NOSPLIT, $0-104
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), AX
	MOVQ rsa+16(FP), R8
	SHLQ $2, R8
	MOVQ csa+24(FP), R9
	SHLQ $2, R9
	MOVQ b+32(FP), SI
	MOVQ rsb+40(FP), R10
	SHLQ $2, R10
	MOVQ psb+48(FP), R12
	SHLQ $2, R12
	LEAQ (SI)(R12*2), R13
	MOVQ c+56(FP), DI
	MOVQ ldc+64(FP), DX
	SHLQ $2, DX

	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7

	MOVQ CX, R11
	SHRQ $2, R11
	ANDQ $3, CX
	MOVQ rows+72(FP), BX
	CMPQ BX, $2
	JE   thin2x2
	MOVQ panels+80(FP), BX
	CMPQ BX, $4
	JE   thin1x4
	KLOOP(THIN1x2, t12l4, t12t, t12l1, thinscale)

thin1x4:
	KLOOP(THIN1x4, t14l4, t14t, t14l1, thinscale)

thin2x2:
	KLOOP(THIN2x2, t22l4, t22t, t22l1, thinscale)

thinscale:
	MOVQ         flags+96(FP), R13
	TESTQ        $2, R13
	JNZ          thinstore
	VBROADCASTSS alpha+88(FP), Y14
	VMULPS       Y14, Y0, Y0
	VMULPS       Y14, Y1, Y1
	VMULPS       Y14, Y2, Y2
	VMULPS       Y14, Y3, Y3
	VMULPS       Y14, Y4, Y4
	VMULPS       Y14, Y5, Y5
	VMULPS       Y14, Y6, Y6
	VMULPS       Y14, Y7, Y7

thinstore:
	MOVQ  rows+72(FP), BX
	MOVQ  panels+80(FP), CX
	TESTQ $1, R13
	JNZ   thinstore0

	VBROADCASTSS beta+92(FP), Y15
	THINSTORE(STOREB, thinb2)
	JMP  thinend

thinstore0:
	THINSTORE(STORE0, thin02)

thinend:
	VZEROUPPER
	RET
