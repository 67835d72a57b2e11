/* SPDX-License-Identifier: MIT */
/*
 * Internet checksums (RFC 1071) and where the L4 header of a frame is, for
 * the two places that need the same rules: the model's checksum stages
 * (sim/model/offload.c, which follow include/vionic/regs.h's offload rules)
 * and libvionic's TX checksum request (vionic_tx_csum_prepare).
 */
#ifndef VIONIC_INET_CSUM_H
#define VIONIC_INET_CSUM_H

#include <stdint.h>
#include <string.h>

#define VCSUM_TCP_OFFSET 16   /* checksum field in the TCP header */
#define VCSUM_UDP_OFFSET 6    /* ... in the UDP header */

/* 16-bit ones' complement sum of n bytes read as big-endian words (an odd
 * last byte is the high half of a word), added to `sum`, not folded. */
uint32_t vcsum_add(const uint8_t *p, uint32_t n, uint32_t sum);
/* vcsum_add of src that also copies its n bytes to a 32-byte aligned dst
 * (not overlapping) that nothing reads soon, written around the caches
 * (non-temporal stores, as a DMA write) in whole 16-byte blocks: dst has
 * room for n rounded up to 16. One pass over the data where a frame is both
 * moved and summed. */
uint32_t vcsum_copy_nt(uint8_t *dst, const uint8_t *src, uint32_t n, uint32_t sum);
/* Stores the 16-bit value v big-endian at dst + at in a frame of len bytes
 * whose other cache lines vcsum_copy_nt copied from src: the aligned 64
 * bytes around it (up to the frame's last 16-byte block) are written from
 * src with it the same way, whole (a line written around the caches in two
 * goes costs a partial write to memory). */
void vcsum_put_nt(uint8_t *dst, const uint8_t *src, uint32_t len, uint32_t at, uint16_t v);
/* Folds a sum to 16 bits (not complemented): adding a word to itself
 * rotated by half puts the sum of its halves, with the carry out of the
 * low half added back in, in the high half (the increment cannot carry
 * again). Inline, as the calls on a small frame's path cost more than
 * their work. */
static inline uint16_t vcsum_fold(uint32_t sum)
{
	return (uint16_t)((sum + (sum >> 16 | sum << 16)) >> 16);
}
/* a + b with the carry out added back in: the ones' complement sum of
 * 64-bit words */
static inline uint64_t vcsum_add64(uint64_t a, uint64_t b)
{
	a += b;
	return a + (a < b);
}
/* A 64-bit ones' complement sum folded to 16 bits, the same way */
static inline uint16_t vcsum_fold64(uint64_t s)
{
	return vcsum_fold((uint32_t)((s + (s >> 32 | s << 32)) >> 32));
}
/* The checksum to write for a sum: folded, complemented, and 0 written as
 * 0xFFFF (the same value; UDP's 0 means "none"), as Linux's
 * skb_checksum_help writes it. */
static inline uint16_t vcsum_finish(uint32_t sum)
{
	const uint16_t c = (uint16_t)~vcsum_fold(sum);

	return c ? c : 0xFFFF;
}
/* Stores a 16-bit value big-endian (checksum fields are). */
static inline void vcsum_put(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* A 16-bit value between the big-endian order of the wire and the order of
 * a word read from it on this host (either way: a swap, or nothing) */
static inline uint16_t vcsum_wire16(uint16_t v)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return __builtin_bswap16(v);
#else
	return v;
#endif
}

/* what vcsum_locate tells apart: EtherTypes and IP protocols */
#define VCSUM_ETH_P_IPV4   0x0800
#define VCSUM_ETH_P_IPV6   0x86DD
#define VCSUM_ETH_P_8021Q  0x8100
#define VCSUM_IPPROTO_TCP  6
#define VCSUM_IPPROTO_UDP  17

/* a big-endian 16-bit field */
static inline uint32_t vcsum_be16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

/* A frame's L4 part, as the checksum rules see it. */
struct vcsum_l4 {
	uint32_t l3_off;      /* IP header: 14, or 18 after one 802.1Q tag */
	uint32_t l4_off;      /* TCP/UDP header */
	uint32_t l4_len;      /* L4 bytes by the IP header's length */
	uint8_t proto;        /* 6 TCP, 17 UDP */
	uint8_t ipv4;         /* 1 IPv4, 0 IPv6 */
};

/* 0 and *l4 filled for TCP or UDP directly over IPv4 (not a fragment) or
 * IPv6 (next header TCP/UDP: extension headers are not walked), after at
 * most one 802.1Q tag, whose IP length fits in the frame (padding after it
 * is not L4); -1 for every other frame. Inline: the model calls it for
 * every frame. */
static inline int vcsum_locate(const uint8_t *f, uint32_t len, struct vcsum_l4 *l4)
{
	uint32_t off = 14, etype;

	if (len < 14)
		return -1;
	etype = vcsum_be16(f + 12);
	if (etype == VCSUM_ETH_P_8021Q) {
		if (len < 18)
			return -1;
		etype = vcsum_be16(f + 16);
		off = 18;
	}
	l4->l3_off = off;
	if (etype == VCSUM_ETH_P_IPV4) {
		const uint8_t *ip = f + off;
		uint32_t ihl, tot;

		if (len < off + 20 || ip[0] >> 4 != 4)
			return -1;
		ihl = (ip[0] & 0xF) * 4u;
		tot = vcsum_be16(ip + 2);
		if (ihl < 20 || tot < ihl || off + tot > len || (vcsum_be16(ip + 6) & 0x3FFF))
			return -1;   /* bad header, longer than the frame, or a fragment */
		l4->proto = ip[9];
		l4->ipv4 = 1;
		l4->l4_off = off + ihl;
		l4->l4_len = tot - ihl;
	} else if (etype == VCSUM_ETH_P_IPV6) {
		const uint8_t *ip = f + off;
		uint32_t plen;

		if (len < off + 40 || ip[0] >> 4 != 6)
			return -1;
		plen = vcsum_be16(ip + 4);
		if (off + 40 + plen > len)
			return -1;
		l4->proto = ip[6];
		l4->ipv4 = 0;
		l4->l4_off = off + 40;
		l4->l4_len = plen;
	} else {
		return -1;
	}
	return l4->proto == VCSUM_IPPROTO_TCP || l4->proto == VCSUM_IPPROTO_UDP ? 0 : -1;
}

/* The pseudo-header sum (folded, not complemented) of a frame vcsum_locate
 * found: the addresses read as 64-bit words with the carries added back in
 * (the order of the words does not matter to the sum), the protocol and L4
 * length added in the same byte order. */
static inline uint32_t vcsum_pseudo(const uint8_t *frame, const struct vcsum_l4 *l4)
{
	const uint8_t *ip = frame + l4->l3_off;
	const uint8_t *addr = ip + (l4->ipv4 ? 12 : 8);   /* source, then destination */
	const unsigned words = l4->ipv4 ? 1 : 4;
	uint64_t s = (uint64_t)vcsum_wire16(l4->proto) + vcsum_wire16((uint16_t)l4->l4_len);

	for (unsigned i = 0; i < words; i++) {
		uint64_t w;

		memcpy(&w, addr + 8 * i, 8);
		s = vcsum_add64(s, w);
	}
	return vcsum_wire16(vcsum_fold64(s));
}

#endif /* VIONIC_INET_CSUM_H */
