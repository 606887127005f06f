/*
 * Test harness around libsrtp 2 (the reference SRTP implementation), driven by
 * tests/libsrtp_interop.rs.
 *
 *   libsrtp_harness PROFILE_ID protect|unprotect MASTER_KEY_AND_SALT_HEX WINDOW
 *
 * PROFILE_ID is the DTLS-SRTP code point (1, 2, 7, 8), which is also libsrtp's srtp_profile_t.
 * Reads lines "rtp HEX" or "rtcp HEX" on stdin; for each writes "ok HEX" with the result or
 * "err STATUS" with libsrtp's srtp_err_status_t, and flushes.
 */
#include <srtp2/srtp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int unhex(const char *s, unsigned char *out, int max) {
    int n = 0;
    while (s[0] && s[1] && s[0] != '\n' && s[0] != '\r') {
        if (n >= max) return -1;
        unsigned int b;
        if (sscanf(s, "%2x", &b) != 1) return -1;
        out[n++] = (unsigned char)b;
        s += 2;
    }
    return n;
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: %s PROFILE protect|unprotect KEYHEX WINDOW\n", argv[0]);
        return 2;
    }
    srtp_profile_t profile = (srtp_profile_t)atoi(argv[1]);
    int protect = strcmp(argv[2], "protect") == 0;
    unsigned char key[64];
    if (unhex(argv[3], key, sizeof key) < 0) return 2;

    if (srtp_init() != srtp_err_status_ok) return 3;
    srtp_policy_t policy;
    memset(&policy, 0, sizeof policy);
    if (srtp_crypto_policy_set_from_profile_for_rtp(&policy.rtp, profile) != srtp_err_status_ok ||
        srtp_crypto_policy_set_from_profile_for_rtcp(&policy.rtcp, profile) != srtp_err_status_ok) {
        fprintf(stderr, "profile %d not supported by this libsrtp\n", (int)profile);
        return 4;
    }
    policy.ssrc.type = protect ? ssrc_any_outbound : ssrc_any_inbound;
    policy.key = key;
    policy.window_size = (unsigned long)atol(argv[4]);
    policy.allow_repeat_tx = 0;
    policy.next = NULL;
    srtp_t session;
    srtp_err_status_t st = srtp_create(&session, &policy);
    if (st != srtp_err_status_ok) {
        fprintf(stderr, "srtp_create: %d\n", (int)st);
        return 5;
    }

    static char line[8192];
    static unsigned char pkt[4096];
    while (fgets(line, sizeof line, stdin)) {
        int rtcp = strncmp(line, "rtcp ", 5) == 0;
        const char *hex = line + (rtcp ? 5 : 4);
        int len = unhex(hex, pkt, (int)sizeof pkt - SRTP_MAX_TRAILER_LEN - 16);
        if (len < 0) {
            printf("err -1\n");
            fflush(stdout);
            continue;
        }
        if (protect) {
            st = rtcp ? srtp_protect_rtcp(session, pkt, &len) : srtp_protect(session, pkt, &len);
        } else {
            st = rtcp ? srtp_unprotect_rtcp(session, pkt, &len) : srtp_unprotect(session, pkt, &len);
        }
        if (st != srtp_err_status_ok) {
            printf("err %d\n", (int)st);
        } else {
            printf("ok ");
            for (int i = 0; i < len; i++) printf("%02x", pkt[i]);
            printf("\n");
        }
        fflush(stdout);
    }
    srtp_dealloc(session);
    srtp_shutdown();
    return 0;
}
