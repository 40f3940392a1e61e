/* tests/images/trust_vectors.h - made once with openssl 3 (Debian 12), so that the tests check wctr against an
 * independent implementation: two ECDSA P-256 keys (openssl ecparam -name prime256v1 -genkey; openssl ec -pubout),
 * an RSA and a P-384 public key (refused), a simplesigning payload and its signature by K1
 * (openssl dgst -sha256 -sign k1.pem payload | base64). K1_FP: openssl pkey -pubin -outform DER | sha256sum. */
#ifndef WCTR_TESTS_IMAGES_TRUST_VECTORS_H
#define WCTR_TESTS_IMAGES_TRUST_VECTORS_H

static const char K1_PEM[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEPCfff08Qq5dbVl5ybwSrG5lut5PH\n"
    "pvVOzYYDiPmFZ2SU38ekIysN973hIAtUt/OkCHnkqaqaeqo3G8wYei8j9g==\n"
    "-----END PUBLIC KEY-----\n";
static const char K2_PEM[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEOu7VAXlqPi1TksX8rK2TN4jP9YhJ\n"
    "kC3YvUq5vZIhxdpfaEER9oa5rLoZTxVH0NsVwHeUDTJfs97ahe5mrclRnA==\n"
    "-----END PUBLIC KEY-----\n";
static const char RSA_PEM[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAtRMqgk2kaPdqzqfNRd/T\n"
    "lmtDL4uWfVju1k0n3DMbJrkZz1usEFuzaZ+NMZtSMSKtqRgnLwZPVBzKyaRPwY7d\n"
    "r5LSDeDDE0eI01jXfeRzYbwNPrEd09gWIxtzKp8V91mikGLvhUjXdCctvO7kD9FM\n"
    "ORdmPj6iFz58ny7RbQ7RHjCc/HhqLl7XOMwpOy0J4wxdZhin8Ie/vljcLhL9R0C1\n"
    "wtJz0gPIchlJwOWw881W6HP2/xMAOb6kPNDS4YzamCAYlAVKwe1P0ot6huSJmSw4\n"
    "GKaVK2DjSyEwmSvRs1qZU+oaIT2Xv8c6zsXmCKKFRzIfeNR4BpXLQmIumoWOvIXc\n"
    "UwIDAQAB\n"
    "-----END PUBLIC KEY-----\n";
static const char P384_PEM[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MHYwEAYHKoZIzj0CAQYFK4EEACIDYgAEiyL8fKlpDCatoNFNiQi8O1GjGeBmw7uY\n"
    "TodMUItKZDWDuuL0D7sXdYyJQwqOhG8alxVqHj465SPCu4D+ZxDh0WOG3EFphYLA\n"
    "WBAnD3SVA6SuNspSAwAMexDpzHR6ZhiQ\n"
    "-----END PUBLIC KEY-----\n";
/* openssl dgst -sha256 -sign k1.pem payload | base64 */
static const char K1_SIG[] = "MEUCIHCwy/2BzoKXRIA8sDuRpdR4uXHrw1/mUzFaVD0gUP/1AiEAo6/dmL6gQ0707FR7Zol/vgxLyDkQOAaAQFuOJfLIIdw=";
static const char K1_PAYLOAD[] =
    "{\"critical\":{\"identity\":{\"docker-reference\":\"127.0.0.1:5000/app\"},\"image\":{\"docker-manifest-digest\":\"sha256:4b7ca1e6bf29d2bce9e02e1e1d8e35cfc3b8e0f3e1c4e55f1b0a4a4d2c9e8f10\"},\"type\":\"cosign container image signature\"},\"optional\":null}";
static const char K1_FP[] = "sha256:6cfb5495bc028c80a933f8b0d3ff9e7da1f0d7632ee0405c1d9595e8cd85112e";
static const char K1_PAYLOAD_DIGEST[] = "sha256:4b7ca1e6bf29d2bce9e02e1e1d8e35cfc3b8e0f3e1c4e55f1b0a4a4d2c9e8f10";

#endif
