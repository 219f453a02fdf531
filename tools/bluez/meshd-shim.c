/*
 * LD_PRELOAD shim for BlueZ bluetooth-meshd 5.66 (Debian bookworm, libell 0.56), used only by
 * tools/bluez/run.mjs to run meshd without a radio and without root services. Written for this
 * project against the public ell API (ell/cipher.h, ell/checksum.h); no ell or BlueZ code is in here.
 *
 * 1. Crypto. meshd does its AES-ECB, AES-CMAC and AES-CCM through ell, which uses the kernel's AF_ALG
 *    sockets; kernels without CONFIG_CRYPTO_USER_API (this VM: socket(AF_ALG) gives EAFNOSUPPORT)
 *    make meshd print "Mesh Crypto functions unavailable" and stop. The eleven ell functions meshd
 *    imports for them are defined here over OpenSSL libcrypto (same algorithms, same semantics:
 *    l_checksum_get_digest finalises and resets, as a read on an AF_ALG hash socket does). meshd's own
 *    start-up self-test (mesh_crypto_check_avail, an AES-CCM vector) runs through these.
 * 2. The 'unit' io (mesh/mesh-io-unit.c, --io unit:PATH) binds a unix datagram socket at PATH and
 *    then send()s on it without ever connecting it, so everything meshd transmits is lost (ENOTCONN).
 *    When MESHD_UNIT_UDP="<local port>:<peer port>" is set, the bind() of that socket is replaced by a
 *    UDP socket on 127.0.0.1:<local port> connected to 127.0.0.1:<peer port> (dup2 onto meshd's fd),
 *    so its transmissions reach the bridge (tools/bluez/bridge.ts) and the bridge's datagrams reach it.
 * 3. The unit io's receive path takes a datagram [L][AD type][payload] (one AD structure) but hands
 *    the mesh layer `size` bytes from the AD type on (one byte too many) and drops datagrams of 9
 *    bytes or fewer (PB-ADV acks and link control are 8-9). recv() on that fd returns L (the AD
 *    structure's own length, what the HCI io passes), at least 10 (zero-filled), so the mesh layer
 *    sees exactly what a radio would have given it.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include <unistd.h>
#include <openssl/evp.h>
#include <openssl/crypto.h>

/* ---- ell crypto over OpenSSL ---- */

enum { SHIM_L_CIPHER_AES = 0 };
enum { SHIM_L_AEAD_CIPHER_AES_CCM = 0 };

struct l_cipher { uint8_t key[16]; };
struct l_aead_cipher { uint8_t key[16]; size_t tag; };
struct l_checksum { uint8_t key[16]; uint8_t *buf; size_t len, cap; };

struct l_cipher *l_cipher_new(int type, const void *key, size_t key_length)
{
	struct l_cipher *c;
	if (type != SHIM_L_CIPHER_AES || key_length != 16)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (c)
		memcpy(c->key, key, 16);
	return c;
}

void l_cipher_free(struct l_cipher *c)
{
	if (!c)
		return;
	OPENSSL_cleanse(c, sizeof(*c));
	free(c);
}

static bool ecb(const uint8_t key[16], const void *in, void *out, size_t len, int enc)
{
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
	int n = 0, m = 0;
	bool ok = x && len % 16 == 0 &&
		EVP_CipherInit_ex(x, EVP_aes_128_ecb(), NULL, key, NULL, enc) == 1 &&
		EVP_CIPHER_CTX_set_padding(x, 0) == 1 &&
		EVP_CipherUpdate(x, out, &n, in, (int) len) == 1 &&
		EVP_CipherFinal_ex(x, (uint8_t *) out + n, &m) == 1 && (size_t) (n + m) == len;
	EVP_CIPHER_CTX_free(x);
	return ok;
}

bool l_cipher_encrypt(struct l_cipher *c, const void *in, void *out, size_t len)
{
	return c && ecb(c->key, in, out, len, 1);
}

bool l_cipher_decrypt(struct l_cipher *c, const void *in, void *out, size_t len)
{
	return c && ecb(c->key, in, out, len, 0);
}

struct l_checksum *l_checksum_new_cmac_aes(const void *key, size_t key_len)
{
	struct l_checksum *c;
	if (key_len != 16)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (c)
		memcpy(c->key, key, 16);
	return c;
}

bool l_checksum_update(struct l_checksum *c, const void *data, size_t len)
{
	if (!c)
		return false;
	if (c->len + len > c->cap) {
		size_t cap = (c->len + len) * 2 + 64;
		uint8_t *b = malloc(cap);
		if (!b)
			return false;
		if (c->buf) {
			memcpy(b, c->buf, c->len);
			OPENSSL_cleanse(c->buf, c->cap);
			free(c->buf);
		}
		c->buf = b;
		c->cap = cap;
	}
	if (len)
		memcpy(c->buf + c->len, data, len);
	c->len += len;
	return true;
}

/* AES-CMAC (RFC 4493) over the data given since the last digest; then the state is reset. */
ssize_t l_checksum_get_digest(struct l_checksum *c, void *digest, size_t len)
{
	EVP_MAC *mac;
	EVP_MAC_CTX *x;
	OSSL_PARAM params[2];
	uint8_t out[16];
	size_t outl = 0;
	bool ok;

	if (!c)
		return -EINVAL;
	mac = EVP_MAC_fetch(NULL, "CMAC", NULL);
	x = mac ? EVP_MAC_CTX_new(mac) : NULL;
	params[0] = OSSL_PARAM_construct_utf8_string("cipher", "AES-128-CBC", 0);
	params[1] = OSSL_PARAM_construct_end();
	ok = x && EVP_MAC_init(x, c->key, 16, params) == 1 &&
		EVP_MAC_update(x, c->buf ? c->buf : (const uint8_t *) "", c->len) == 1 &&
		EVP_MAC_final(x, out, &outl, sizeof(out)) == 1 && outl == 16;
	EVP_MAC_CTX_free(x);
	EVP_MAC_free(mac);
	if (c->buf)
		OPENSSL_cleanse(c->buf, c->len);
	c->len = 0;
	if (!ok)
		return -EIO;
	if (len > 16)
		len = 16;
	memcpy(digest, out, len);
	OPENSSL_cleanse(out, sizeof(out));
	return (ssize_t) len;
}

void l_checksum_free(struct l_checksum *c)
{
	if (!c)
		return;
	if (c->buf) {
		OPENSSL_cleanse(c->buf, c->cap);
		free(c->buf);
	}
	OPENSSL_cleanse(c, sizeof(*c));
	free(c);
}

struct l_aead_cipher *l_aead_cipher_new(int type, const void *key, size_t key_length, size_t tag_length)
{
	struct l_aead_cipher *c;
	if (type != SHIM_L_AEAD_CIPHER_AES_CCM || key_length != 16 || tag_length < 4 || tag_length > 16 || tag_length % 2)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	memcpy(c->key, key, 16);
	c->tag = tag_length;
	return c;
}

void l_aead_cipher_free(struct l_aead_cipher *c)
{
	if (!c)
		return;
	OPENSSL_cleanse(c, sizeof(*c));
	free(c);
}

/* AES-CCM (RFC 3610, NIST SP 800-38C): out = ciphertext || tag. */
bool l_aead_cipher_encrypt(struct l_aead_cipher *c, const void *in, size_t in_len, const void *ad, size_t ad_len,
			   const void *nonce, size_t nonce_len, void *out, size_t out_len)
{
	EVP_CIPHER_CTX *x;
	int n = 0;
	bool ok;
	if (!c || out_len != in_len + c->tag || nonce_len < 7 || nonce_len > 13)
		return false;
	x = EVP_CIPHER_CTX_new();
	ok = x && EVP_EncryptInit_ex(x, EVP_aes_128_ccm(), NULL, NULL, NULL) == 1 &&
		EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_CCM_SET_IVLEN, (int) nonce_len, NULL) == 1 &&
		EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_CCM_SET_TAG, (int) c->tag, NULL) == 1 &&
		EVP_EncryptInit_ex(x, NULL, NULL, c->key, nonce) == 1 &&
		EVP_EncryptUpdate(x, NULL, &n, NULL, (int) in_len) == 1 &&
		(ad_len == 0 || EVP_EncryptUpdate(x, NULL, &n, ad, (int) ad_len) == 1) &&
		EVP_EncryptUpdate(x, out, &n, in, (int) in_len) == 1 &&
		EVP_EncryptFinal_ex(x, (uint8_t *) out + n, &n) == 1 &&
		EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_CCM_GET_TAG, (int) c->tag, (uint8_t *) out + in_len) == 1;
	EVP_CIPHER_CTX_free(x);
	return ok;
}

/* in = ciphertext || tag; false when the tag does not verify (nothing is left in out then). */
bool l_aead_cipher_decrypt(struct l_aead_cipher *c, const void *in, size_t in_len, const void *ad, size_t ad_len,
			   const void *nonce, size_t nonce_len, void *out, size_t out_len)
{
	EVP_CIPHER_CTX *x;
	uint8_t tag[16];
	size_t clen;
	int n = 0;
	bool ok;
	if (!c || in_len < c->tag || out_len != in_len - c->tag || nonce_len < 7 || nonce_len > 13)
		return false;
	clen = in_len - c->tag;
	memcpy(tag, (const uint8_t *) in + clen, c->tag);
	x = EVP_CIPHER_CTX_new();
	ok = x && EVP_DecryptInit_ex(x, EVP_aes_128_ccm(), NULL, NULL, NULL) == 1 &&
		EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_CCM_SET_IVLEN, (int) nonce_len, NULL) == 1 &&
		EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_CCM_SET_TAG, (int) c->tag, tag) == 1 &&
		EVP_DecryptInit_ex(x, NULL, NULL, c->key, nonce) == 1 &&
		EVP_DecryptUpdate(x, NULL, &n, NULL, (int) clen) == 1 &&
		(ad_len == 0 || EVP_DecryptUpdate(x, NULL, &n, ad, (int) ad_len) == 1) &&
		EVP_DecryptUpdate(x, out, &n, in, (int) clen) == 1;
	EVP_CIPHER_CTX_free(x);
	if (!ok && out_len)
		OPENSSL_cleanse(out, out_len);
	return ok;
}

/* ---- the unit io's socket ---- */

static int unit_fd = -1;

int bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	static int (*real_bind)(int, const struct sockaddr *, socklen_t);
	const char *spec = getenv("MESHD_UNIT_UDP");
	const char *path = getenv("MESHD_UNIT_PATH");
	if (!real_bind)
		real_bind = (int (*)(int, const struct sockaddr *, socklen_t)) dlsym(RTLD_NEXT, "bind");
	if (spec && path && addr && addr->sa_family == AF_UNIX &&
	    strncmp(((const struct sockaddr_un *) addr)->sun_path, path, sizeof(((struct sockaddr_un *) 0)->sun_path)) == 0) {
		unsigned lport = 0, pport = 0;
		struct sockaddr_in a;
		int u;
		if (sscanf(spec, "%u:%u", &lport, &pport) != 2 || !lport || !pport || lport > 65535 || pport > 65535) {
			fprintf(stderr, "meshd-shim: bad MESHD_UNIT_UDP=%s (want <local port>:<peer port>)\n", spec);
			errno = EINVAL;
			return -1;
		}
		u = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (u < 0)
			return -1;
		memset(&a, 0, sizeof(a));
		a.sin_family = AF_INET;
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		a.sin_port = htons((uint16_t) lport);
		if (real_bind(u, (struct sockaddr *) &a, sizeof(a)) < 0) {
			fprintf(stderr, "meshd-shim: cannot bind 127.0.0.1:%u (%s)\n", lport, strerror(errno));
			close(u);
			return -1;
		}
		a.sin_port = htons((uint16_t) pport);
		if (connect(u, (struct sockaddr *) &a, sizeof(a)) < 0 || dup3(u, fd, O_CLOEXEC) < 0) {
			close(u);
			return -1;
		}
		close(u);
		unit_fd = fd;
		fprintf(stderr, "meshd-shim: unit io on udp 127.0.0.1:%u <-> 127.0.0.1:%u\n", lport, pport);
		return 0;
	}
	return real_bind(fd, addr, len);
}

ssize_t recv(int fd, void *buf, size_t len, int flags)
{
	static ssize_t (*real_recv)(int, void *, size_t, int);
	ssize_t n;
	uint8_t *b = buf;
	if (!real_recv)
		real_recv = (ssize_t (*)(int, void *, size_t, int)) dlsym(RTLD_NEXT, "recv");
	n = real_recv(fd, buf, len, flags);
	if (fd != unit_fd || n < 2 || len < 11 || !b[0] || (ssize_t) b[0] + 1 > n)
		return n;
	if (b[0] >= 10)
		return b[0];
	memset(b + b[0] + 1, 0, 11 - (b[0] + 1));
	return 10;
}
