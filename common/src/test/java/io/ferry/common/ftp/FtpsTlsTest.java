package io.ferry.common.ftp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;

import javax.net.ssl.SSLContext;

import org.apache.ftpserver.listener.Listener;
import org.junit.jupiter.api.Test;

class FtpsTlsTest {

    private static final FtpsTls.ListenerSettings SETTINGS = new FtpsTls.ListenerSettings("127.0.0.1", 0, false,
            "0", "", false, Duration.ofMinutes(10), Duration.ofMinutes(2));

    @Test
    void controlConnectionsShouldTakeTheConfiguredVersionsAndDataConnectionsTls12() throws Exception {
        Listener listener = new FtpsTls(SSLContext.getDefault(), FtpsTls.DEFAULT_PROTOCOLS, List.of())
                .listener(SETTINGS);
        assertThat(listener.getSslConfiguration().getEnabledProtocols()).containsExactly("TLSv1.3", "TLSv1.2");
        assertThat(listener.getDataConnectionConfiguration().getSslConfiguration().getEnabledProtocols())
                .containsExactly("TLSv1.2");
        assertThat(listener.getSslConfiguration().getEnabledCipherSuites()).isNotEmpty()
                .allMatch(suite -> suite.contains("GCM") || suite.contains("CHACHA20"))
                .noneMatch(suite -> suite.contains("CBC") || suite.startsWith("TLS_RSA_"));
        assertThat(listener.getDataConnectionConfiguration().isActiveEnabled()).isFalse();
    }

    @Test
    void onlyTls13ShouldKeepDataConnectionsOnTls13() throws Exception {
        Listener listener = new FtpsTls(SSLContext.getDefault(), List.of("TLSv1.3"), List.of()).listener(SETTINGS);
        assertThat(listener.getDataConnectionConfiguration().getSslConfiguration().getEnabledProtocols())
                .containsExactly("TLSv1.3");
    }

    @Test
    void suitesThisJvmDoesNotHaveShouldBeLeftOutAndNoneLeftRefused() throws Exception {
        Listener listener = new FtpsTls(SSLContext.getDefault(), FtpsTls.DEFAULT_PROTOCOLS,
                List.of("TLS_NO_SUCH_SUITE", "TLS_AES_256_GCM_SHA384")).listener(SETTINGS);
        assertThat(listener.getSslConfiguration().getEnabledCipherSuites()).containsExactly("TLS_AES_256_GCM_SHA384");
        assertThatThrownBy(() -> new FtpsTls(SSLContext.getDefault(), FtpsTls.DEFAULT_PROTOCOLS,
                List.of("TLS_NO_SUCH_SUITE"))).hasMessageContaining("none is supported");
    }
}
