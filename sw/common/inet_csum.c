/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

#include "inet_csum.h"

/* Sums words in the host's byte order and swaps the folded result: the
 * ones' complement sum does not depend on byte order, and 2^16 = 1 modulo
 * 0xFFFF makes a sum of wider words fold to the sum of the 16-bit ones
 * (RFC 1071 §2). With dst, every byte read is also stored there, around
 * the caches where the CPU can: one pass over the data for a copy that is
 * summed. The helpers are inlined into each entry point, so the sum alone
 * has no stores and the AVX2 entry its own loop. */

/* below this many bytes the scalar loop, which adds as many bytes per
 * instruction as SSE2, costs less than the vector set-up and its fold */
#define SSE2_MIN 64

/* s plus the bytes of p[0..n) (SSE2 sixteen at a time from SSE2_MIN, or to
 * write them to dst around the caches), folded and swapped to big-endian
 * order, added to sum */
static inline __attribute__((always_inline)) uint32_t
sum_rest(uint8_t *dst, const uint8_t *p, uint32_t n, uint64_t s, uint32_t sum)
{
	uint64_t q;
	uint32_t w;
	uint16_t h;

#ifdef __SSE2__
	if (n >= SSE2_MIN || dst) {
		/* four 32-bit words per load, widened into two 64-bit lanes each */
		const __m128i zero = _mm_setzero_si128();
		__m128i acc = zero;
		for (; n >= 16; p += 16, n -= 16) {
			__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
			if (dst) {
				_mm_stream_si128((__m128i *)(void *)dst, v);
				dst += 16;
			}
			acc = _mm_add_epi64(acc, _mm_unpacklo_epi32(v, zero));
			acc = _mm_add_epi64(acc, _mm_unpackhi_epi32(v, zero));
		}
		uint64_t lanes[2];
		_mm_storeu_si128((__m128i *)(void *)lanes, acc);
		s = vcsum_add64(vcsum_add64(s, lanes[0]), lanes[1]);
		if (dst && n) {            /* the last bytes as one more block: a plain
					    * store into a line being written around
					    * the caches costs a trip to memory */
			uint8_t blk[16] = { 0 };
			memcpy(blk, p, n);
			_mm_stream_si128((__m128i *)(void *)dst,
					 _mm_loadu_si128((const __m128i *)(const void *)blk));
			dst = NULL;        /* what follows only sums */
		}
	}
#endif
	/* the rest (and where SSE2 is not, each word stored as it is read):
	 * fixed-size copies the compiler inlines */
	for (; n >= 8; p += 8, n -= 8) {
		memcpy(&q, p, 8);
		if (dst) {
			memcpy(dst, &q, 8);
			dst += 8;
		}
		s = vcsum_add64(s, q);
	}
	if (n >= 4) {
		memcpy(&w, p, 4);
		if (dst) {
			memcpy(dst, &w, 4);
			dst += 4;
		}
		s = vcsum_add64(s, w);
		p += 4;
		n -= 4;
	}
	if (n >= 2) {
		memcpy(&h, p, 2);
		if (dst) {
			memcpy(dst, &h, 2);
			dst += 2;
		}
		s = vcsum_add64(s, h);
		p += 2;
		n -= 2;
	}
	if (n) {                           /* the high half of a big-endian word */
		uint8_t last[2] = { p[0], 0 };
		if (dst)
			dst[0] = p[0];
		memcpy(&h, last, 2);
		s = vcsum_add64(s, h);
	}
	return sum + vcsum_wire16(vcsum_fold64(s));   /* the caller's sum may be unfolded */
}

#if defined(__x86_64__) && defined(__GNUC__)
/* thirty-two bytes at a time, for CPUs that have AVX2 (chosen at run time:
 * what CI builds assumes no more than x86-64); copy is a constant in each
 * entry point, so its loop has no test for it */
__attribute__((target("avx2"), always_inline)) static inline __m256i
avx2_block(uint8_t *dst, const uint8_t *p, __m256i acc, int copy)
{
	const __m256i zero = _mm256_setzero_si256();
	const __m256i v = _mm256_loadu_si256((const __m256i *)(const void *)p);

	if (copy)
		_mm256_stream_si256((__m256i *)(void *)dst, v);
	/* eight 32-bit words widened into four 64-bit lanes */
	return _mm256_add_epi64(acc, _mm256_add_epi64(_mm256_unpacklo_epi32(v, zero),
						      _mm256_unpackhi_epi32(v, zero)));
}

__attribute__((target("avx2"), always_inline)) static inline uint32_t
avx2_body(uint8_t *dst, const uint8_t *p, uint32_t n, uint32_t sum, int copy)
{
	__m256i acc0 = _mm256_setzero_si256(), acc1 = acc0;

	/* a cache line per pass, into two sums that do not wait on each other */
	for (; n >= 64; p += 64, dst += copy ? 64 : 0, n -= 64) {
		acc0 = avx2_block(dst, p, acc0, copy);
		acc1 = avx2_block(dst + 32, p + 32, acc1, copy);
	}
	if (n >= 32) {
		acc0 = avx2_block(dst, p, acc0, copy);
		p += 32;
		dst += copy ? 32 : 0;
		n -= 32;
	}
	uint64_t lanes[4];
	_mm256_storeu_si256((__m256i *)(void *)lanes, _mm256_add_epi64(acc0, acc1));
	/* each lane is a sum of at most 2^28 32-bit words: no carry yet */
	return sum_rest(copy ? dst : NULL, p, n,
			vcsum_add64(lanes[0] + lanes[1], lanes[2] + lanes[3]), sum);
}

__attribute__((target("avx2"))) static uint32_t
sum_avx2(const uint8_t *p, uint32_t n, uint32_t sum)
{
	return avx2_body(NULL, p, n, sum, 0);
}

__attribute__((target("avx2"))) static uint32_t
copy_avx2_nt(uint8_t *dst, const uint8_t *p, uint32_t n, uint32_t sum)
{
	return avx2_body(dst, p, n, sum, 1);
}

/* AVX2 where the CPU has it, unless VIONIC_MAX_SIMD_BITS (as DPDK's
 * --force-max-simd-bitwidth) is below 256: 128 keeps the SSE2 loop for
 * whole frames, which is how the tests reach it on an AVX2 machine */
static int avx2_known = -1;   /* threads that race here store the same value */

__attribute__((noinline, cold)) static int avx2_probe(void)
{
	const char *limit = getenv("VIONIC_MAX_SIMD_BITS");

	avx2_known = __builtin_cpu_supports("avx2") && !(limit && atoi(limit) < 256);
	return avx2_known;
}

/* a load and a test once known: the small sums' path then calls nothing
 * and saves no registers */
static inline int have_avx2(void)
{
	return avx2_known >= 0 ? avx2_known : avx2_probe();
}
/* below 64 bytes the wider loop does not pay for its set-up */
#define WIDE(n) ((n) >= 64 && have_avx2())
#else
#define WIDE(n) 0
#define sum_avx2(p, n, sum) 0
#define copy_avx2_nt(dst, p, n, sum) 0
#endif

__attribute__((noinline)) static uint32_t sum_long(const uint8_t *p, uint32_t n, uint32_t sum)
{
	return WIDE(n) ? sum_avx2(p, n, sum) : sum_rest(NULL, p, n, 0, sum);
}

uint32_t vcsum_add(const uint8_t *p, uint32_t n, uint32_t sum)
{
	/* short sums (headers, a small frame's L4) in a leaf that saves no
	 * registers: the vector loops' set-up cost more than their work */
	if (n < SSE2_MIN)
		return sum_rest(NULL, p, n, 0, sum);
	return sum_long(p, n, sum);
}

uint32_t vcsum_copy_nt(uint8_t *dst, const uint8_t *src, uint32_t n, uint32_t sum)
{
	return WIDE(n) ? copy_avx2_nt(dst, src, n, sum) : sum_rest(dst, src, n, 0, sum);
}

void vcsum_put_nt(uint8_t *dst, const uint8_t *src, uint32_t len, uint32_t at, uint16_t v)
{
	const uint8_t be[2] = { (uint8_t)(v >> 8), (uint8_t)v };
	const uint32_t end = ((at + 1) & ~63u) + 64;

	/* its line, or two when the field straddles a line boundary, up to
	 * the frame's last block */
	for (uint32_t c = at & ~63u; c < end && c < len; c += 16) {
		uint8_t blk[16] = { 0 };

		if (len - c >= 16)         /* a fixed-size copy the compiler inlines */
			memcpy(blk, src + c, 16);
		else
			memcpy(blk, src + c, len - c);
		for (uint32_t i = 0; i < 2; i++)
			if (at + i - c < 16)
				blk[at + i - c] = be[i];
#ifdef __SSE2__
		_mm_stream_si128((__m128i *)(void *)(dst + c),
				 _mm_loadu_si128((const __m128i *)(const void *)blk));
#else
		memcpy(dst + c, blk, sizeof(blk));
#endif
	}
}
