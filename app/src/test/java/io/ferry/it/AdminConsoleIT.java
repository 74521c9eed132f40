package io.ferry.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.security.KeyPair;
import java.time.Duration;

import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.sftp.client.SftpClient;
import org.apache.sshd.sftp.client.SftpClientFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;

import tools.jackson.databind.JsonNode;

/**
 * The web console in a real browser (headless Chromium): an administrator logs in, creates an account, adds its key,
 * sees the partner's SFTP upload in file tracking, resubmits a failed delivery, adds an operator and looks at the
 * cluster. Every page is saved as a screenshot under {@code target/screenshots}; the dashboard and file tracking
 * also as the README's and docs' pictures in {@code docs/images}.
 */
class AdminConsoleIT extends NodeIT {

    private static Browser browser;

    @AfterAll
    static void stopBrowser() {
        if (browser != null) {
            browser.close();
        }
    }

    @Test
    void anAdministratorShouldRunAccountsTransfersAndWorkItemsFromTheBrowser() throws Exception {
        browser();
        browser.login("admin", "wrong-password-" + System.nanoTime());
        assertThat(browser.path()).startsWith("/login?error");
        assertThat(browser.text("#error")).contains("Wrong user name, password or one-time code");
        browser.screenshot("01-login");

        browser.login("admin", ADMIN_PASSWORD);
        assertThat(browser.path()).isEqualTo("/");
        assertThat(browser.find("h1").getText()).isEqualTo("Dashboard");
        assertThat(browser.driver.getPageSource()).contains("it-node");
        browser.screenshot("02-dashboard");

        // a new account, through the form
        String user = uniqueUser("web");
        browser.open("/accounts");
        browser.click("#new-account");
        browser.type("#username", user);
        browser.type("#password", "web-password-1");
        browser.type("#quotaBytes", "10485760");
        browser.click("#save");
        assertThat(browser.path()).isEqualTo("/accounts/" + user);
        assertThat(browser.text("#notice")).isEqualTo("Account " + user + " created.");
        assertThat(admin().get("/api/v1/accounts/" + user).json().get("quotaBytes").asLong()).isEqualTo(10485760);

        // its public key
        KeyPair key = KeyUtils.generateKeyPair("ssh-ed25519", 256);
        browser.type("#publicKey", PublicKeyEntry.toString(key.getPublic()) + " partner@acme");
        browser.click("#add-key");
        assertThat(browser.text("#notice")).startsWith("Key SHA256:").endsWith(" added.");
        assertThat(browser.all(".key-row")).hasSize(1);
        assertThat(browser.text(".key-row")).contains("partner@acme");

        // the partner logs in with that key and uploads; the transfer shows up in file tracking
        try (ClientSession session = clients.login(sftpPort(), user, key);
                SftpClient sftp = SftpClientFactory.instance().createSftpClient(session)) {
            try (var out = sftp.write("/invoice-42.edi")) {
                out.write("UNB+UNOA:1+ACME+FERRY'".getBytes());
            }
        }
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            browser.open("/transfers?account=" + user);
            assertThat(browser.all(".transfer-row")).hasSize(1);
        });
        String row = browser.text(".transfer-row");
        assertThat(row).contains("/invoice-42.edi", "upload", "sftp", "success", "22 B");
        browser.screenshot("03-file-tracking");
        browser.screenshotForDocs("console-file-tracking");
        browser.click(".transfer-row a");
        assertThat(browser.driver.getPageSource()).contains("/invoice-42.edi");
        assertThat(browser.all("dd code").get(1).getText()).hasSize(64); // the SHA-256

        browser.open("/accounts/" + user);
        assertThat(browser.all(".transfer-row")).hasSize(1);
        browser.screenshot("04-account");

        // a delivery that fails (wrong partner password), then resubmitted from the console once it is fixed
        String destination = uniqueUser("webdst");
        admin().createAccount(destination, "destination-password");
        String partner = sftpPartner(destination, "destination-password");
        admin().patch("/api/v1/partners/" + partner, "{\"password\":\"not-the-password\"}");
        String route = uniqueUser("webroute");
        assertThat(admin().post("/api/v1/routes", "{\"name\":\"" + route + "\",\"account\":\"" + user
                + "\",\"pathGlob\":\"/outbox/*\",\"partner\":\"" + partner + "\"}").status()).isEqualTo(201);
        try (ClientSession session = clients.login(sftpPort(), user, key);
                SftpClient sftp = SftpClientFactory.instance().createSftpClient(session)) {
            sftp.mkdir("/outbox");
            try (var out = sftp.write("/outbox/order.xml")) {
                out.write("<order/>".getBytes());
            }
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> "failed".equals(state(route)));
        long id = item(route).get("id").asLong();
        browser.open("/work-items?state=failed");
        WebElement failedRow = browser.find("#item-" + id);
        assertThat(failedRow.getText()).contains("/outbox/order.xml", partner, "3 / 3");
        browser.screenshot("05-work-items");

        admin().patch("/api/v1/partners/" + partner, "{\"password\":\"destination-password\"}");
        browser.click(failedRow.findElement(By.cssSelector("button.resubmit")));
        assertThat(browser.text("#notice")).isEqualTo("Work item " + id + " (deliver of /outbox/order.xml) "
                + "resubmitted.");
        await().atMost(Duration.ofSeconds(20)).until(() -> "done".equals(state(route)));
        assertThat(home(destination).resolve("in/order.xml")).hasContent("<order/>");

        // an operator, added from the console
        String operator = uniqueUser("op");
        browser.open("/admins");
        browser.find("#admin-form input[name=username]").sendKeys(operator);
        browser.find("#admin-form input[name=password]").sendKeys("operator-password-1");
        browser.find("#admin-form select[name=role] option[value=operator]").click();
        browser.click("#admin-form button[type=submit]");
        assertThat(browser.text("#notice")).isEqualTo("Administrator " + operator + " created.");
        browser.screenshot("06-administrators");

        browser.open("/");
        assertThat(Long.parseLong(browser.text("#hour-transfers"))).isGreaterThanOrEqualTo(2);
        browser.screenshot("08-dashboard");
        browser.screenshotForDocs("console-dashboard");

        browser.open("/audit?target=/accounts/" + user);
        assertThat(browser.all(".audit-row")).extracting(WebElement::getText)
                .anyMatch(r -> r.contains("POST /accounts/" + user + "/keys") && r.contains("admin"));
        browser.screenshot("09-audit");

        // the REST API's description, browsable
        browser.open("/swagger-ui/index.html");
        new org.openqa.selenium.support.ui.WebDriverWait(browser.driver, Duration.ofSeconds(20)).until(d ->
                d.getPageSource().contains("/api/v1/accounts/{username}"));
        assertThat(browser.driver.getPageSource()).contains("Ferry REST API");
        browser.screenshot("10-openapi");

        browser.open("/cluster");
        assertThat(browser.driver.getPageSource()).contains("it-node", "primary");
        browser.screenshot("07-cluster");

        // the operator sees the pages read-only: no forms to change anything
        browser.click("header button.link"); // log out
        assertThat(browser.path()).isEqualTo("/login?logout");
        browser.login(operator, "operator-password-1");
        assertThat(browser.text(".badge")).isEqualTo("operator (read-only)");
        browser.open("/accounts/" + user);
        assertThat(browser.all("#save")).isEmpty();
        assertThat(browser.all("#add-key")).isEmpty();
        assertThat(browser.find("#account-form fieldset").getAttribute("disabled")).isNotNull();
        browser.open("/accounts");
        assertThat(browser.all("#new-account")).isEmpty();
        browser.click("header button.link");
    }

    @Test
    void anAdministratorShouldSetUpPartnersRoutesSchedulesAndMonitorsFromTheBrowser() throws Exception {
        browser();
        browser.login("admin", ADMIN_PASSWORD);
        String remote = uniqueUser("remote");
        admin().createAccount(remote, "remote-password");
        java.nio.file.Files.createDirectories(home(remote).resolve("in"));

        // a partner added with a wrong pin: the check refuses it and shows the key the server presents
        String partner = uniqueUser("acme");
        browser.open("/partners");
        browser.type("#partner-form input[name=name]", partner);
        browser.type("#partner-form input[name=host]", "127.0.0.1");
        browser.type("#partner-form input[name=port]", Integer.toString(sftpPort()));
        browser.type("#partner-form input[name=username]", remote);
        browser.type("#partner-form input[name=password]", "remote-password");
        browser.type("#partner-form input[name=remoteDir]", "/in");
        browser.type("#partner-form input[name=hostKey]", "SHA256:" + "A".repeat(43));
        browser.click("#partner-form button[type=submit]");
        assertThat(browser.text("#notice")).startsWith("Partner " + partner + " added.");
        browser.click(browser.find("#partner-" + partner + " button.check"));
        assertThat(browser.text("#check-result")).contains("Failed");
        String presented = browser.text("#presented-host-key");
        assertThat(hostKeys.fingerprints()).anyMatch(f -> f.endsWith(" " + presented));
        browser.screenshot("11-partners");
        browser.click("#pin-form button");
        assertThat(browser.text("#notice")).isEqualTo("Partner " + partner + " now pins " + presented + ".");
        assertThat(admin().get("/api/v1/partners/" + partner).json().get("hostKey").asString()).isEqualTo(presented);
        browser.click(browser.find("#partner-" + partner + " button.check"));
        assertThat(browser.text("#check-result")).contains("Connected");
        // changed through its form: the password is kept when left blank
        browser.click(browser.find("#partner-" + partner + " a.edit"));
        assertThat(browser.find("#partner-form input[name=host]").getAttribute("value")).isEqualTo("127.0.0.1");
        browser.type("#partner-form input[name=maxParallel]", "2");
        browser.click("#partner-form button[type=submit]");
        assertThat(browser.text("#notice")).isEqualTo("Partner " + partner + " changed.");
        assertThat(admin().get("/api/v1/partners/" + partner).json().get("maxParallel").asInt()).isEqualTo(2);
        browser.click(browser.find("#partner-" + partner + " button.check"));
        assertThat(browser.text("#check-result")).as("the password survived the change").contains("Connected");

        // the partner's OpenPGP key imported through its form, listed with its fingerprint and user id
        PgpRouteIT.Gpg gpg = PgpRouteIT.Gpg.in(java.nio.file.Files.createTempDirectory("ferry-console-gpg"), "acme");
        gpg.generate("Acme EDI <edi@acme.example>", "future-default", "never", "");
        String key = uniqueUser("acme-pgp");
        browser.click("#pgp-keys-link");
        browser.type("#pgp-key-form input[name=name]", key);
        browser.find("#pgp-key-form select[name=partner] option[value='" + partner + "']").click();
        browser.type("#pgp-key-form textarea[name=armored]", gpg.run("--armor", "--export"));
        browser.click("#pgp-key-form button[type=submit]");
        assertThat(browser.text("#notice")).isEqualTo("OpenPGP key " + key + " imported.");
        String fingerprint = admin().get("/api/v1/pgp-keys/" + key).json().get("fingerprint").asString();
        assertThat(browser.text("#pgp-key-" + key)).contains(fingerprint, "Acme EDI <edi@acme.example>", "Ed25519",
                "never", partner);
        browser.screenshot("11b-pgp-keys");
        browser.click(browser.find("#pgp-key-" + key + " a.public-key"));
        assertThat(browser.text("body")).startsWith("-----BEGIN PGP PUBLIC KEY BLOCK-----").doesNotContain("PRIVATE");
        browser.open("/partners");
        gpg.stop();

        // a route and a push schedule through the forms; the schedule runs now and its fire is listed
        String source = uniqueUser("pushsrc");
        admin().createAccount(source, "source-password");
        java.nio.file.Files.createDirectories(home(source).resolve("outbox"));
        java.nio.file.Files.writeString(home(source).resolve("outbox/report.csv"), "a,b\n");
        String route = uniqueUser("webroute");
        browser.open("/routes");
        browser.type("#route-form input[name=name]", route);
        browser.type("#route-form input[name=account]", source);
        browser.type("#route-form input[name=pathGlob]", "/inbox/*.xml");
        browser.find("#route-form select[name=partner] option[value='" + partner + "']").click();
        browser.click("#route-form button[type=submit]");
        assertThat(browser.text("#notice")).isEqualTo("Route " + route + " added.");
        assertThat(admin().get("/api/v1/routes/" + route).json().get("partner").asString()).isEqualTo(partner);
        browser.click(browser.find("#route-" + route + " a.edit"));
        browser.type("#route-form input[name=pathGlob]", "/inbox/*.edi");
        browser.find("#route-form select[name=postAction] option[value=archive]").click();
        browser.click("#route-form button[type=submit]");
        assertThat(browser.text("#notice")).isEqualTo("Route " + route + " changed.");
        JsonNode changedRoute = admin().get("/api/v1/routes/" + route).json();
        assertThat(changedRoute.get("pathGlob").asString()).isEqualTo("/inbox/*.edi");
        assertThat(changedRoute.get("postAction").asString()).isEqualTo("archive");
        assertThat(changedRoute.get("partner").asString()).isEqualTo(partner);
        browser.click(browser.find("#route-" + route + " button.toggle"));
        assertThat(browser.text("#notice")).startsWith("Route " + route + " disabled");
        assertThat(admin().get("/api/v1/routes/" + route).json().get("enabled").asBoolean()).isFalse();

        String schedule = uniqueUser("push");
        browser.open("/schedules");
        browser.type("#schedule-form input[name=name]", schedule);
        browser.find("#schedule-form select[name=kind] option[value=push]").click();
        browser.type("#schedule-form input[name=cron]", "@daily");
        browser.find("#schedule-form select[name=partner] option[value='" + partner + "']").click();
        browser.type("#schedule-form input[name=account]", source);
        browser.type("#schedule-form input[name=folder]", "/outbox");
        browser.click("#schedule-form button[type=submit]");
        assertThat(browser.text("#notice")).isEqualTo("Schedule " + schedule + " added.");
        browser.click(browser.find("#schedule-" + schedule + " button.run"));
        assertThat(browser.text("#notice")).isEqualTo("Schedule " + schedule + " ran now: 1 work item queued.");
        assertThat(browser.all(".fire-row")).hasSize(1);
        await().atMost(Duration.ofSeconds(20)).until(() ->
                java.nio.file.Files.exists(home(remote).resolve("in/report.csv")));
        browser.screenshot("12-schedules");
        browser.click(browser.find("#schedule-" + schedule + " a.edit"));
        assertThat(browser.find("#schedule-form input[name=cron]").getAttribute("value")).isEqualTo("@daily");
        browser.type("#schedule-form input[name=cron]", "0 15 3 * * *");
        browser.type("#schedule-form input[name=timeZone]", "Europe/Berlin");
        browser.click("#schedule-form button[type=submit]");
        assertThat(browser.text("#notice")).isEqualTo("Schedule " + schedule + " changed.");
        JsonNode changed = admin().get("/api/v1/schedules/" + schedule).json();
        assertThat(changed.get("cron").asString()).isEqualTo("0 15 3 * * *");
        assertThat(changed.get("timeZone").asString()).isEqualTo("Europe/Berlin");
        assertThat(changed.get("kind").asString()).isEqualTo("push");
        assertThat(changed.get("folder").asString()).isEqualTo("/outbox");

        // a folder monitor, added and disabled
        String monitor = uniqueUser("scanner");
        browser.open("/monitors");
        browser.type("#monitor-form input[name=name]", monitor);
        browser.type("#monitor-form input[name=folder]", "scans-" + monitor);
        browser.type("#monitor-form input[name=account]", source);
        browser.click("#monitor-form button[type=submit]");
        assertThat(browser.text("#notice")).isEqualTo("Folder monitor " + monitor + " added.");
        assertThat(admin().get("/api/v1/monitors/" + monitor).json().get("enabled").asBoolean()).isTrue();
        browser.click(browser.find("#monitor-" + monitor + " a.edit"));
        browser.type("#monitor-form input[name=stableSeconds]", "25");
        browser.click("#monitor-form button[type=submit]");
        assertThat(browser.text("#notice")).isEqualTo("Folder monitor " + monitor + " changed.");
        assertThat(admin().get("/api/v1/monitors/" + monitor).json().get("stableSeconds").asInt()).isEqualTo(25);
        browser.screenshot("13-monitors");

        // settings: the identity partners pin, and a ban set and lifted by hand
        browser.open("/settings");
        assertThat(browser.all("code.host-key")).extracting(WebElement::getText)
                .containsExactlyInAnyOrderElementsOf(hostKeys.fingerprints());
        assertThat(browser.text("#tls-fingerprint")).matches("([0-9A-F]{2}:){31}[0-9A-F]{2}");
        browser.type("#ban-form input[name=address]", "203.0.113.77");
        browser.click("#ban-form button[type=submit]");
        assertThat(browser.text("#notice")).isEqualTo("203.0.113.77 is banned for 60 minutes on every node and edge.");
        assertThat(admin().get("/api/v1/defender/bans").body()).contains("203.0.113.77");
        browser.screenshot("14-settings");
        WebElement ban = browser.all(".ban-row").stream().filter(r -> r.getText().contains("203.0.113.77"))
                .findFirst().orElseThrow();
        browser.click(ban.findElement(By.cssSelector("button")));
        assertThat(browser.text("#notice")).isEqualTo("The ban on 203.0.113.77 is lifted.");
        assertThat(admin().get("/api/v1/defender/bans").body()).doesNotContain("203.0.113.77");
        browser.find("header button.link").click();
    }

    @Test
    void anAdministratorShouldExportAndReimportTheConfigurationFromTheBrowser() throws Exception {
        browser();
        java.nio.file.Files.createDirectories(Browser.DOWNLOADS);
        try (var old = java.nio.file.Files.list(Browser.DOWNLOADS)) { // an earlier run's downloads
            for (java.nio.file.Path f : old.toList()) {
                java.nio.file.Files.delete(f);
            }
        }
        String user = uniqueUser("export");
        admin().createAccount(user, "export-password-1");
        String route = uniqueUser("exroute");
        assertThat(admin().post("/api/v1/routes", "{\"name\":\"" + route + "\",\"account\":\"" + user
                + "\",\"pathGlob\":\"/in/*\",\"copyTo\":\"/kept\"}").status()).isEqualTo(201);
        browser.login("admin", ADMIN_PASSWORD);
        // two-factor set-up shows a key and its otpauth link (turning it on is TotpIT's)
        browser.click("#profile-link");
        assertThat(browser.text("#totp-state")).startsWith("Off");
        browser.click("#totp-setup button");
        assertThat(browser.text("#totp-secret")).matches("[A-Z2-7]{32}");
        assertThat(browser.text("#totp-uri")).startsWith("otpauth://totp/Ferry:admin?secret=");
        browser.screenshot("profile-totp-setup");
        // an edge registered (its secret shown once) and revoked from the Cluster page
        String edge = uniqueUser("dmz");
        browser.open("/cluster");
        browser.type("#edge-form input[name=name]", edge);
        browser.click("#edge-form button");
        assertThat(browser.text("#notice")).startsWith("Edge " + edge + " registered.");
        assertThat(browser.text("#edge-secret")).hasSizeGreaterThan(20);
        assertThat(browser.all("code.edge-host-key")).isNotEmpty();
        browser.screenshot("cluster-edge-registered");
        assertThat(admin().get("/api/v1/edges/" + edge).json().get("status").asString()).isEqualTo("active");
        browser.click(browser.find("#edge-" + edge + " button"));
        assertThat(browser.text("#notice")).startsWith("Edge " + edge + " revoked");
        assertThat(admin().get("/api/v1/edges/" + edge).json().get("status").asString()).isEqualTo("revoked");
        browser.open("/settings");
        new org.openqa.selenium.support.ui.Select(browser.find("#export-form select[name=secrets]"))
                .selectByValue("encrypted");
        browser.type("#export-form input[name=passphrase]", "browser export passphrase");
        browser.screenshot("settings-export");
        browser.find("#export-form button").click(); // a download: the page stays
        java.nio.file.Path[] exported = new java.nio.file.Path[1];
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            try (var files = java.nio.file.Files.list(Browser.DOWNLOADS)) {
                exported[0] = files.filter(f -> f.getFileName().toString().matches("ferry-configuration-.*\\.json"))
                        .findFirst().orElse(null);
            }
            assertThat(exported[0]).isNotNull();
        });
        String document = java.nio.file.Files.readString(exported[0]);
        assertThat(document).contains("\"name\" : \"" + route + "\"").contains("enc:v1:");

        assertThat(admin().delete("/api/v1/routes/" + route).status()).isEqualTo(204);
        browser.find("#import-form input[type=file]").sendKeys(exported[0].toString());
        browser.type("#import-form input[name=passphrase]", "browser export passphrase");
        browser.click("#import-form button");
        assertThat(browser.text("#notice")).startsWith("Imported " + exported[0].getFileName())
                .contains("routes 1 new");
        browser.screenshot("settings-imported");
        assertThat(admin().get("/api/v1/routes/" + route).json().get("copyTo").asString()).isEqualTo(user + ":/kept");
        browser.find("header button.link").click();
    }

    /** One browser for the class, started by the first test. */
    private void browser() {
        if (browser == null) {
            browser = new Browser(httpPort);
        }
    }

    private JsonNode item(String route) {
        for (JsonNode item : admin().get("/api/v1/work-items?limit=1000").json()) {
            if (item.get("route").asString().equals(route)) {
                return item;
            }
        }
        return null;
    }

    private String state(String route) {
        JsonNode item = item(route);
        return item == null ? null : item.get("state").asString();
    }
}
