package io.ferry.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.CookieManager;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

import org.apache.sshd.sftp.client.SftpClient;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.subethamail.smtp.helper.SimpleMessageListener;
import org.subethamail.smtp.server.SMTPServer;

import com.sun.net.httpserver.HttpServer;

import io.ferry.transfer.notify.Notifications;
import io.ferry.transfer.sftp.SftpServer;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * Expected files and notifications on a real node of its own (own schema: its primary lease is its own), with a real
 * SMTP server that requires STARTTLS (SubEthaSMTP, a self-signed certificate) and a real webhook receiver. Two
 * expectations share one deadline, the next minute boundary at least a few seconds ahead, in a zone that is not UTC:
 * nothing arrives for the first (missed: the event, the meters, the mail and the webhook POST), a file uploaded over
 * SFTP before the deadline meets the second (no event).
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT, properties = {
        "ferry.sftp.port=0",
        "ferry.sftp.bind-address=127.0.0.1",
        "ferry.ftps.explicit-port=0",
        "ferry.ftps.implicit-port=0",
        "ferry.ftps.passive-ports=0",
        "ferry.ftps.bind-address=127.0.0.1",
        "ferry.admin.password=" + NotificationsIT.ADMIN_PASSWORD,
        "ferry.cluster.name=ferry-notify-it",
        "ferry.cluster.node-id=notify-node",
        "ferry.notify.check-interval=500ms",
        "ferry.notify.mail-from=ferry@ferry.example",
        // the SMTP server's certificate is the test's own: trusted for this host only
        "spring.mail.host=127.0.0.1",
        "spring.mail.properties.mail.smtp.ssl.trust=127.0.0.1"})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@DirtiesContext
class NotificationsIT {

    static final String ADMIN_PASSWORD = "notify-admin-secret";
    private static final ObjectMapper JSON = new ObjectMapper();
    /** A zone whose offset is not a whole number of hours (UTC+05:30). */
    private static final ZoneId KOLKATA = ZoneId.of("Asia/Kolkata");
    private static final Path DATA_DIR = dataDir();

    /** One mail as the SMTP server took it, per recipient. */
    record Mail(String from, String recipient, String data) {
    }

    private static final List<Mail> MAILS = new CopyOnWriteArrayList<>();
    private static final List<String> HOOKS = new CopyOnWriteArrayList<>();
    private static SMTPServer smtp;
    private static HttpServer webhook;

    @Autowired
    SftpServer sftpServer;

    @Autowired
    Notifications notifications;

    @Value("${local.server.port}")
    int httpPort;

    private final String missed = "notify-missed-" + Long.toString(System.nanoTime() % 1_000_000, 36);
    private final String met = "notify-met-" + Long.toString(System.nanoTime() % 1_000_000, 36);
    private final String account = "notify-" + Long.toString(System.nanoTime() % 1_000_000, 36);
    private ZonedDateTime deadline;

    @DynamicPropertySource
    static void servers(DynamicPropertyRegistry registry) throws Exception {
        TestDatabase.Server db = TestDatabase.fresh();
        registry.add("spring.datasource.url", db::url);
        registry.add("spring.datasource.username", db::username);
        registry.add("spring.datasource.password", db::password);
        registry.add("ferry.data-dir", DATA_DIR::toString);
        startSmtp();
        startWebhook();
        registry.add("spring.mail.port", smtp::getPortAllocated);
        registry.add("ferry.cluster.webhook-url",
                () -> "http://127.0.0.1:" + webhook.getAddress().getPort() + "/hook");
    }

    /** SubEthaSMTP on an ephemeral port: STARTTLS with a self-signed certificate, and nothing taken before it. */
    private static synchronized void startSmtp() throws Exception {
        if (smtp != null) {
            return;
        }
        smtp = SMTPServer.port(0).bindAddress(InetAddress.getLoopbackAddress()).hostName("localhost")
                .simpleMessageListener(new SimpleMessageListener() {
                    @Override
                    public boolean accept(String from, String recipient) {
                        return true;
                    }

                    @Override
                    public void deliver(String from, String recipient, InputStream data) throws IOException {
                        MAILS.add(new Mail(from, recipient, new String(data.readAllBytes(), StandardCharsets.UTF_8)));
                    }
                })
                // requireTLS: MAIL FROM before STARTTLS is refused, so every mail taken came over TLS
                .startTlsSocketFactory(selfSigned()).requireTLS().build();
        smtp.start();
    }

    private static synchronized void startWebhook() throws IOException {
        if (webhook != null) {
            return;
        }
        webhook = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        webhook.createContext("/hook", exchange -> {
            try (exchange) {
                String type = exchange.getRequestHeaders().getFirst("Content-Type");
                byte[] body = exchange.getRequestBody().readAllBytes();
                if (exchange.getRequestMethod().equals("POST") && "application/json".equals(type)) {
                    HOOKS.add(new String(body, StandardCharsets.UTF_8));
                }
                exchange.sendResponseHeaders(204, -1);
            }
        });
        webhook.start();
    }

    private static SSLContext selfSigned() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(256);
        KeyPair pair = generator.generateKeyPair();
        Instant now = Instant.now();
        X500Name name = new X500Name("CN=localhost");
        JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name, BigInteger.valueOf(now
                .toEpochMilli()), Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(Duration.ofDays(1))),
                name, pair.getPublic());
        builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
                new GeneralName(GeneralName.iPAddress, "127.0.0.1"), new GeneralName(GeneralName.dNSName,
                        "localhost")}));
        X509Certificate certificate = new JcaX509CertificateConverter().getCertificate(builder.build(
                new JcaContentSignerBuilder("SHA256withECDSA").build(pair.getPrivate())));
        char[] password = "smtp-test".toCharArray();
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setKeyEntry("smtp", pair.getPrivate(), password, new X509Certificate[] {certificate});
        KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(store, password);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(keys.getKeyManagers(), null, null);
        return context;
    }

    @AfterAll
    static void stopServers() {
        if (smtp != null) {
            smtp.stop();
        }
        if (webhook != null) {
            webhook.stop(0);
        }
    }

    private Api admin() {
        return new Api(httpPort, "admin", ADMIN_PASSWORD);
    }

    /**
     * Both expectations, due at the next minute boundary that is at least 10 s away (time for the upload), on that
     * day of the week only, in a zone half an hour off UTC; the file for the second is uploaded now.
     */
    @BeforeAll
    void expectAndUpload() throws Exception {
        Api.Response rule = admin().put("/api/v1/notifications/rules/expectation-missed",
                "{\"recipients\":[\"ops@ferry.example\",\"On-Call@ferry.example\",\"ops@FERRY.example\"]}");
        assertThat(rule.status()).as(rule.body()).isEqualTo(200);
        assertThat(rule.json().get("recipients").toString()).isEqualTo(
                "[\"ops@ferry.example\",\"On-Call@ferry.example\"]");

        // what counts must end on the deadline's own day: near midnight in Kolkata, UTC (5.5 h away) is used
        ZoneId zone = ZonedDateTime.now(KOLKATA).plusMinutes(3).toLocalDate()
                .equals(ZonedDateTime.now(KOLKATA).toLocalDate()) ? KOLKATA : ZoneId.of("UTC");
        deadline = ZonedDateTime.now(zone).plusSeconds(10).truncatedTo(ChronoUnit.MINUTES).plusMinutes(1);
        String time = deadline.format(DateTimeFormatter.ofPattern("HH:mm"));
        String day = deadline.getDayOfWeek().name().substring(0, 3);
        admin().createAccount(account, "notify-password");
        for (String[] e : List.of(new String[] {missed, "daily-*.csv"}, new String[] {met, "orders-*.csv"})) {
            Api.Response created = admin().post("/api/v1/expectations", "{\"name\":\"" + e[0] + "\",\"kind\":"
                    + "\"arrival\",\"account\":\"" + account + "\",\"folder\":\"/in\",\"pattern\":\"" + e[1]
                    + "\",\"time\":\"" + time + "\",\"days\":[\"" + day + "\"],\"timeZone\":\"" + zone + "\"}");
            assertThat(created.status()).as(created.body()).isEqualTo(201);
            assertThat(created.json().get("days").toString()).isEqualTo("[\"" + day + "\"]");
        }
        try (SftpClients clients = new SftpClients();
                SftpClient sftp = clients.sftp(sftpServer.port(), account, "notify-password")) {
            sftp.mkdir("/in");
            try (OutputStream out = sftp.write("/in/orders-7.csv")) {
                out.write("1;2;3\n".getBytes(StandardCharsets.UTF_8));
            }
            // a file in another folder, or with another name, meets neither
            try (OutputStream out = sftp.write("/daily-1.csv")) {
                out.write("elsewhere\n".getBytes(StandardCharsets.UTF_8));
            }
        }
        assertThat(Instant.now()).as("the upload ended before the deadline").isBefore(deadline.toInstant());
    }

    private List<JsonNode> events(String event) {
        List<JsonNode> found = new ArrayList<>();
        admin().get("/api/v1/notifications/events?event=" + event).json().forEach(found::add);
        return found;
    }

    private JsonNode lastCheck(String expectation) {
        return admin().get("/api/v1/expectations/" + expectation).json().get("lastCheck");
    }

    /** Whether the expectation's first deadline was judged. */
    private boolean judged(String expectation) {
        JsonNode check = lastCheck(expectation);
        return check != null && !check.isNull();
    }

    @Test
    void aMissedDeadlineShouldBeAnEventAMeterAMailAndAWebhookPost() {
        await().atMost(Duration.ofSeconds(100)).until(() -> judged(missed));
        JsonNode check = lastCheck(missed);
        assertThat(check.get("met").asBoolean()).isFalse();
        assertThat(Instant.parse(check.get("dueAt").asString())).isEqualTo(deadline.toInstant());
        assertThat(check.get("node").asString()).isEqualTo("notify-node");

        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(events("expectation-missed"))
                .anySatisfy(event -> assertThat(event.get("subject").asString()).contains(missed)));
        JsonNode event = events("expectation-missed").stream()
                .filter(e -> e.get("subject").asString().contains(missed)).findFirst().orElseThrow();
        assertThat(event.get("message").asString()).contains("daily-*.csv").contains("/in");
        assertThat(event.get("node").asString()).isEqualTo("notify-node");

        String metrics = admin().get("/actuator/prometheus").body();
        assertThat(metrics).contains("ferry_expectations_missed_total{expectation=\"" + missed + "\"} 1")
                .containsPattern("ferry_notifications_events_total\\{event=\"expectation-missed\"} [1-9]")
                .containsPattern("(?m)^ferry_expectations_failing [1-9]");

        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(MAILS)
                .filteredOn(mail -> unfolded(mail.data()).contains("Subject: [Ferry] Expectation " + missed))
                .extracting(Mail::recipient).containsExactlyInAnyOrder("ops@ferry.example", "On-Call@ferry.example"));
        Mail mail = MAILS.stream().filter(m -> unfolded(m.data()).contains(missed)).findFirst().orElseThrow();
        assertThat(mail.from()).isEqualTo("ferry@ferry.example");
        assertThat(mail.data()).contains("Event: expectation-missed").contains("Node: notify-node");

        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(HOOKS).anySatisfy(hook -> {
            JsonNode body = JSON.readTree(hook);
            assertThat(body.get("event").asString()).isEqualTo("expectation-missed");
            assertThat(body.get("subject").asString()).contains(missed);
            assertThat(body.get("node").asString()).isEqualTo("notify-node");
        }));
    }

    @Test
    void aFileUploadedBeforeTheDeadlineShouldMeetItWithoutAnEvent() {
        await().atMost(Duration.ofSeconds(100)).until(() -> judged(met));
        JsonNode check = lastCheck(met);
        assertThat(check.get("met").asBoolean()).as(check.toString()).isTrue();
        assertThat(Instant.parse(check.get("dueAt").asString())).isEqualTo(deadline.toInstant());
        JsonNode checks = admin().get("/api/v1/expectations/" + met + "/checks").json();
        assertThat(checks.size()).as("judged once").isEqualTo(1);
        // the missed one's event is notified on the same thread after the judgement: once it is there, a wrong
        // event for this one would be too
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(events("expectation-missed"))
                .anySatisfy(event -> assertThat(event.get("subject").asString()).contains(missed)));
        assertThat(events("expectation-missed")).noneSatisfy(event -> assertThat(event.get("subject").asString())
                .contains(met));
        assertThat(admin().get("/actuator/prometheus").body()).doesNotContain("expectation=\"" + met + "\"");
    }

    @Test
    void theSameEventAndSubjectShouldBeNotifiedOnceWithinTheRepeatInterval() {
        String subject = "Work item probe " + System.nanoTime();
        String marker = "Work item marker " + System.nanoTime();
        notifications.raise(Notifications.WORK_FAILED, subject, "first");
        notifications.raise(Notifications.WORK_FAILED, subject, "second, within the hour");
        notifications.raise(Notifications.WORK_FAILED, marker, "another subject");
        // events are recorded in order on one thread: once the marker is there, so would a second probe be
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(events("work-failed"))
                .anySatisfy(event -> assertThat(event.get("subject").asString()).isEqualTo(marker)));
        assertThat(events("work-failed")).filteredOn(event -> event.get("subject").asString().equals(subject))
                .singleElement().satisfies(event -> assertThat(event.get("message").asString()).isEqualTo("first"));
        assertThat(admin().get("/actuator/prometheus").body()).containsPattern(
                "ferry_notifications_suppressed_total\\{event=\"work-failed\",reason=\"repeat\"} [1-9]");
    }

    @Test
    void expectationsAndRulesShouldRefuseWhatIsNotValid() {
        String base = "{\"name\":\"bad-" + System.nanoTime() % 100000 + "\",\"kind\":\"arrival\",\"account\":"
                + "\"" + account + "\",\"time\":\"09:30\"";
        assertThat(admin().post("/api/v1/expectations", base.replace(account, "nobody-here") + "}").status())
                .as("unknown account").isEqualTo(404);
        assertThat(admin().post("/api/v1/expectations", base.replace("09:30", "24:00") + "}").status())
                .isEqualTo(400);
        assertThat(admin().post("/api/v1/expectations", base + ",\"timeZone\":\"Mars/Olympus\"}").status())
                .isEqualTo(400);
        assertThat(admin().post("/api/v1/expectations", base + ",\"days\":[\"FUN\"]}").status()).isEqualTo(400);
        assertThat(admin().post("/api/v1/expectations", base + ",\"pattern\":\"a/b\"}").status()).isEqualTo(400);
        assertThat(admin().post("/api/v1/expectations", base + ",\"pattern\":\"[a\"}").status()).isEqualTo(400);
        assertThat(admin().put("/api/v1/notifications/rules/work-failed",
                "{\"recipients\":[\"ops@ferry.example\\r\\nBcc: x@evil.example\"]}").status()).isEqualTo(400);
        assertThat(admin().put("/api/v1/notifications/rules/no-such-event",
                "{\"recipients\":[\"ops@ferry.example\"]}").status()).isEqualTo(400);
        assertThat(admin().get("/api/v1/notifications/events?limit=5000").status()).isEqualTo(400);
    }

    @Test
    void theConsoleShouldShowMissedExpectationsAndAddOne() throws Exception {
        HttpClient browser = HttpClient.newBuilder().cookieHandler(new CookieManager())
                .followRedirects(HttpClient.Redirect.NEVER).build();
        assertThat(form(browser, "/login", "/login", Map.of("username", "admin", "password", ADMIN_PASSWORD))
                .statusCode()).isEqualTo(302);
        await().atMost(Duration.ofSeconds(100)).untilAsserted(() -> assertThat(page(browser, "/").body())
                .contains("Expectation " + missed + " missed its deadline"));

        String name = "console-" + System.nanoTime() % 100000;
        HttpResponse<String> added = form(browser, "/expectations", "/expectations", Map.of("name", name, "kind",
                "arrival", "account", account, "folder", "/in", "pattern", "*.xml", "time", "23:45", "timeZone",
                "Europe/Berlin", "days", "SAT"));
        assertThat(added.statusCode()).isEqualTo(302);
        String listed = page(browser, "/expectations").body();
        assertThat(listed).contains("Expectation " + name + " added.").contains("id=\"expectation-" + name + "\"")
                .contains("Europe/Berlin").contains("not judged yet").contains("On-Call@ferry.example");
        assertThat(admin().get("/api/v1/expectations/" + name).json().get("days").toString()).isEqualTo("[\"SAT\"]");
    }

    private HttpResponse<String> page(HttpClient browser, String path) throws Exception {
        return browser.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** Posts a form of {@code path} with the CSRF token of the page {@code from}, as a browser would. */
    private HttpResponse<String> form(HttpClient browser, String from, String path, Map<String, String> fields)
            throws Exception {
        Matcher csrf = Pattern.compile("name=\"_csrf\" value=\"([^\"]+)\"").matcher(page(browser, from).body());
        assertThat(csrf.find()).as("a CSRF token on " + from).isTrue();
        Map<String, String> all = new LinkedHashMap<>(fields);
        all.put("_csrf", csrf.group(1));
        String body = all.entrySet().stream().map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "="
                + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8)).collect(Collectors.joining("&"));
        return browser.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Header lines as one (a long subject is folded). */
    private static String unfolded(String data) {
        return data.replace("\r\n ", " ").replace("\r\n\t", " ");
    }

    private static Path dataDir() {
        try {
            return Files.createTempDirectory("ferry-notify-it-");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
