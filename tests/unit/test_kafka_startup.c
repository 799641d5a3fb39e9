/* Start-up failures classified by what librdkafka's error callback says
 * (runtime/kafka_startup.h): its texts as librdkafka 2.0 writes them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "runtime/kafka_startup.h"

static void test_causes(void **state)
{
    assert_int_equal(sl_kafka_classify_cause(RD_KAFKA_RESP_ERR__AUTHENTICATION,
                                             "sasl_ssl://kafka:9093/bootstrap: SASL authentication error: "
                                             "Authentication failed: Invalid username or password (after 5ms in "
                                             "state AUTH_REQ)"),
                     SL_KAFKA_CAUSE_AUTHENTICATION);
    assert_int_equal(sl_kafka_classify_cause(RD_KAFKA_RESP_ERR__SSL,
                                             "ssl://kafka:9093/bootstrap: SSL handshake failed: error:0A000086:SSL "
                                             "routines::certificate verify failed: broker certificate could not be "
                                             "verified (after 4ms in state SSL_HANDSHAKE)"),
                     SL_KAFKA_CAUSE_TLS);
    /* some builds report a handshake failure as a transport error */
    assert_int_equal(sl_kafka_classify_cause(RD_KAFKA_RESP_ERR__TRANSPORT,
                                             "ssl://kafka:9093/bootstrap: SSL handshake failed: certificate verify "
                                             "failed"),
                     SL_KAFKA_CAUSE_TLS);
    assert_int_equal(sl_kafka_classify_cause(RD_KAFKA_RESP_ERR__TRANSPORT,
                                             "kafka:9093/bootstrap: Disconnected while requesting ApiVersion: might "
                                             "be caused by incorrect security.protocol configuration (connecting to "
                                             "a SSL listener?) or broker version is < 0.10"),
                     SL_KAFKA_CAUSE_PROTOCOL);
    /* what waiting may cure is not a cause */
    assert_int_equal(sl_kafka_classify_cause(RD_KAFKA_RESP_ERR__TRANSPORT,
                                             "kafka:9092/bootstrap: Connect to ipv4#10.0.0.5:9092 failed: "
                                             "Connection refused (after 0ms in state CONNECT)"),
                     SL_KAFKA_CAUSE_NONE);
    assert_int_equal(sl_kafka_classify_cause(RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN, "1/1 brokers are down"),
                     SL_KAFKA_CAUSE_NONE);
    assert_int_equal(sl_kafka_classify_cause(RD_KAFKA_RESP_ERR__RESOLVE, NULL), SL_KAFKA_CAUSE_NONE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_causes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
