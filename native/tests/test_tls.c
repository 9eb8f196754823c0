/* wss:// against the real server with TLS: a self-signed certificate that the
 * client trusts (through OpenSSL's SSL_CERT_FILE) connects; the same server
 * without that trust is refused with on_error. The certificate names only
 * DNS:localhost, so the check is against the host name, not the resolved
 * address the socket connects to. */

#include "support.h"

#include <string.h>
#include <unistd.h>

static void make_certificate(const char* dir) {
  char command[1024];
  snprintf(command, sizeof command,
           "openssl req -x509 -newkey rsa:2048 -nodes -keyout %s/key.pem -out %s/cert.pem "
           "-days 2 -subj /CN=localhost -addext subjectAltName=DNS:localhost "
           ">/dev/null 2>&1 && openssl pkcs8 -topk8 -nocrypt -in %s/key.pem -out %s/key8.pem",
           dir, dir, dir, dir);
  REQUIRE(system(command) == 0, "openssl could not make a certificate");
}

static otc_session* start(const char* url, struct recorder* r, const char* data) {
  otc_session_settings* settings = otc_session_settings_new();
  REQUIRE(otc_session_settings_set_server_url(settings, url) == OTC_SUCCESS, "wss URL");
  struct otc_session_callbacks callbacks = recorder_callbacks(r);
  otc_session* s = otc_session_new_with_settings(TEST_API_KEY, "tls-room", &callbacks, settings);
  otc_session_settings_delete(settings);
  char* token = mint_token(TEST_API_KEY, TEST_SECRET, "tls-room", data, 3600);
  REQUIRE(otc_session_connect(s, token) == OTC_SUCCESS, "connect");
  free(token);
  return s;
}

int main(void) {
  require_server_jar();
  char dir[] = "/tmp/otc-tls-XXXXXX";
  REQUIRE(mkdtemp(dir), "mkdtemp");
  make_certificate(dir);
  char cert[128], key[128];
  snprintf(cert, sizeof cert, "%s/cert.pem", dir);
  snprintf(key, sizeof key, "%s/key8.pem", dir);
  const char* const args[] = {"--tls-cert", cert, "--tls-key", key, NULL};
  struct server server;
  server_start(&server, 0, args);
  char url[96];
  snprintf(url, sizeof url, "wss://localhost:%d/v1/ws", server.port);

  /* Trusted: OpenSSL reads SSL_CERT_FILE when the library creates its TLS context. */
  setenv("SSL_CERT_FILE", cert, 1);
  REQUIRE(otc_init(NULL) == OTC_SUCCESS, "init");
  struct recorder ra, rb;
  recorder_init(&ra);
  recorder_init(&rb);
  otc_session* a = start(url, &ra, "a");
  REQUIRE(recorder_wait(&ra, EV_CONNECTED, NULL, 1, 10000), "wss connects");
  otc_session* b = start(url, &rb, "b");
  REQUIRE(recorder_wait(&rb, EV_CONNECTED, NULL, 1, 10000), "second wss client");
  REQUIRE(recorder_wait(&ra, EV_CREATED, NULL, 1, 10000), "events over wss");
  REQUIRE(otc_session_disconnect(b) == OTC_SUCCESS, "disconnect");
  REQUIRE(recorder_wait(&ra, EV_DROPPED, NULL, 1, 10000), "dropped over wss");
  struct event dropped;
  recorder_get(&ra, EV_DROPPED, 0, &dropped);
  REQUIRE(dropped.reason == OTC_CONNECTION_DROP_REASON_CLIENT_DISCONNECTED, "clean close over wss");
  otc_session_delete(a);
  otc_session_delete(b);
  REQUIRE(otc_destroy() == OTC_SUCCESS, "destroy");

  /* Untrusted: the certificate check fails and the attempt ends with on_error. */
  unsetenv("SSL_CERT_FILE");
  REQUIRE(otc_init(NULL) == OTC_SUCCESS, "init again");
  struct recorder rc;
  recorder_init(&rc);
  otc_session* c = start(url, &rc, "c");
  REQUIRE(recorder_wait(&rc, EV_ERROR, NULL, 1, 10000), "untrusted certificate refused");
  REQUIRE(recorder_count(&rc, EV_CONNECTED, NULL) == 0, "not connected");
  otc_session_delete(c);
  REQUIRE(otc_destroy() == OTC_SUCCESS, "destroy");

  server_stop(&server);
  char command[256];
  snprintf(command, sizeof command, "rm -rf %s", dir);
  REQUIRE(system(command) == 0, "cleanup");
  recorder_free(&ra);
  recorder_free(&rb);
  recorder_free(&rc);
  printf("tls tests passed\n");
  return 0;
}
