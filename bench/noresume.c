/* LD_PRELOAD for wrk: forget the previous TLS session before each new handshake, so that every
 * connection costs a full handshake (wrk reuses its SSL objects and would resume otherwise, and
 * tracker's TLS library cannot turn session tickets off). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>

typedef struct ssl_st SSL;
int SSL_in_before(const SSL *s);
int SSL_set_session(SSL *s, void *session);

int SSL_connect(SSL *s) {
    static int (*real)(SSL *) = NULL;
    if (!real) real = (int (*)(SSL *))dlsym(RTLD_NEXT, "SSL_connect");
    if (SSL_in_before(s)) SSL_set_session(s, NULL);
    return real(s);
}
