package io.ferry.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import tools.jackson.databind.JsonNode;

/**
 * Schedules and folder monitors on the running node (which is the primary of its one-node cluster): pulls from a
 * partner that fetch each file once (and a new version again), remove the partner's copy when asked and hand what
 * they fetched to the account's routes; pushes; run now; the fires' records; a folder monitor that waits until a
 * file stops growing. The partner is this node's own SFTP listener, as another account.
 */
class ScheduleIT extends NodeIT {

    private String schedule(String body) {
        Api.Response created = admin().post("/api/v1/schedules", body);
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        return created.json().get("name").asString();
    }

    private void disable(String path) {
        Api.Response disabled = admin().post(path + "/enabled", "{\"enabled\":false}");
        assertThat(disabled.status()).as(disabled.body()).isEqualTo(200);
    }

    /** The transfer-log rows of an account with the given direction and path. */
    private List<JsonNode> rows(String account, String direction, String path) {
        List<JsonNode> found = new ArrayList<>();
        for (JsonNode row : admin().get("/api/v1/transfers?size=200&account=" + account).json().get("items")) {
            if (row.get("direction").asString().equals(direction) && row.get("path").asString().equals(path)) {
                found.add(row);
            }
        }
        return found;
    }

    private int fires(String schedule) {
        return admin().get("/api/v1/schedules/" + schedule + "/fires").json().size();
    }

    @Test
    void aPullShouldFetchEachFileOnceAndHandItToTheAccountsRoutes() throws Exception {
        String local = uniqueUser("puller");
        String remote = uniqueUser("remote");
        String onward = uniqueUser("onward");
        admin().createAccount(local, "local-password");
        admin().createAccount(remote, "remote-password");
        admin().createAccount(onward, "onward-password");
        String partner = sftpPartner(remote, "remote-password");
        Path remoteIn = home(remote).resolve("in");
        Files.writeString(remoteIn.resolve("orders.csv"), "1;2;3\n");
        Files.writeString(remoteIn.resolve("notes.txt"), "not pulled");
        Files.writeString(remoteIn.resolve(".upload.csv"), "a sender's temporary file");
        // what a pull fetches is routed on like an upload
        Api.Response route = admin().post("/api/v1/routes", "{\"name\":\"" + uniqueUser("route") + "\",\"account\":\""
                + local + "\",\"pathGlob\":\"/pulled/*.csv\",\"partner\":\"" + sftpPartner(onward, "onward-password")
                + "\"}");
        assertThat(route.status()).as(route.body()).isEqualTo(201);

        String name = schedule("{\"name\":\"" + uniqueUser("pull") + "\",\"kind\":\"pull\",\"cron\":\"* * * * * *\","
                + "\"partner\":\"" + partner + "\",\"account\":\"" + local + "\",\"folder\":\"/pulled\","
                + "\"fileGlob\":\"*.csv\"}");
        Path pulled = home(local).resolve("pulled");
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            assertThat(pulled.resolve("orders.csv")).hasContent("1;2;3");
            assertThat(home(onward).resolve("in/orders.csv")).hasContent("1;2;3");
        });
        // more fires find nothing new
        int firesSoFar = fires(name);
        await().atMost(Duration.ofSeconds(20)).until(() -> fires(name) >= firesSoFar + 3);
        // a file that arrives later is fetched, and a new version of one fetched before is fetched again
        Files.writeString(remoteIn.resolve("late.csv"), "late\n");
        Files.writeString(remoteIn.resolve("orders.csv"), "1;2;3;4\n");
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            assertThat(pulled.resolve("late.csv")).hasContent("late");
            assertThat(pulled.resolve("orders.csv")).hasContent("1;2;3;4");
        });
        int settled = fires(name);
        await().atMost(Duration.ofSeconds(20)).until(() -> fires(name) >= settled + 2);
        disable("/api/v1/schedules/" + name);

        try (var listing = Files.list(pulled)) {
            assertThat(listing.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("orders.csv",
                    "late.csv");
        }
        assertThat(rows(local, "inbound", "/pulled/orders.csv")).hasSize(2)
                .allSatisfy(row -> assertThat(row.get("status").asString()).isEqualTo("success"));
        assertThat(rows(local, "inbound", "/pulled/late.csv")).singleElement()
                .satisfies(row -> assertThat(row.get("sha256").asString()).hasSize(64));
        assertThat(Files.exists(remoteIn.resolve("orders.csv"))).as("kept at the partner").isTrue();
        JsonNode fires = admin().get("/api/v1/schedules/" + name + "/fires").json();
        List<String> times = new ArrayList<>();
        for (JsonNode fire : fires) {
            assertThat(fire.get("outcome").asString()).isEqualTo("fired");
            assertThat(fire.get("fencingToken").asLong()).isPositive();
            assertThat(fire.get("node").asString()).isEqualTo("it-node");
            times.add(fire.get("fireTime").asString());
        }
        assertThat(times).doesNotHaveDuplicates();
    }

    @Test
    void aPullShouldRemoveThePartnersCopyOnlyAfterAVerifiedDownload() throws Exception {
        String local = uniqueUser("puller");
        String remote = uniqueUser("remote");
        admin().createAccount(local, "local-password");
        admin().createAccount(remote, "remote-password");
        String partner = sftpPartner(remote, "remote-password");
        byte[] data = SftpOperationsIT.random(3_000_000);
        Files.write(home(remote).resolve("in/big.bin"), data);

        String name = schedule("{\"name\":\"" + uniqueUser("pull") + "\",\"kind\":\"pull\",\"cron\":\"* * * * * *\","
                + "\"partner\":\"" + partner + "\",\"account\":\"" + local + "\",\"folder\":\"/in\","
                + "\"deleteRemote\":true}");
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            assertThat(Files.exists(home(remote).resolve("in/big.bin"))).isFalse();
            assertThat(Files.readAllBytes(home(local).resolve("in/big.bin"))).isEqualTo(data);
        });
        disable("/api/v1/schedules/" + name);
        assertThat(rows(local, "inbound", "/in/big.bin")).singleElement()
                .satisfies(row -> assertThat(row.get("bytes").asLong()).isEqualTo(data.length));
    }

    @Test
    void aPushShouldSendWhatTheFolderHoldsAndArchiveIt() throws Exception {
        String local = uniqueUser("pusher");
        String remote = uniqueUser("remote");
        admin().createAccount(local, "local-password");
        admin().createAccount(remote, "remote-password");
        String partner = sftpPartner(remote, "remote-password");
        Files.createDirectories(home(local).resolve("outbox"));
        Files.writeString(home(local).resolve("outbox/a.csv"), "a");
        Files.writeString(home(local).resolve("outbox/b.csv"), "bb");
        Files.writeString(home(local).resolve("outbox/c.txt"), "not pushed");

        // a daily push, run now by hand
        String name = schedule("{\"name\":\"" + uniqueUser("push") + "\",\"kind\":\"push\",\"cron\":\"0 2 * * *\","
                + "\"timeZone\":\"Europe/Berlin\",\"partner\":\"" + partner + "\",\"account\":\"" + local
                + "\",\"folder\":\"/outbox\",\"fileGlob\":\"*.csv\",\"postAction\":\"archive\"}");
        String nextFire = admin().get("/api/v1/schedules/" + name).json().get("nextFireAt").asString();
        Api.Response run = admin().post("/api/v1/schedules/" + name + "/run", "");
        assertThat(run.status()).as(run.body()).isEqualTo(200);
        assertThat(run.json().get("outcome").asString()).isEqualTo("manual");
        assertThat(run.json().get("items").asInt()).isEqualTo(2);
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            assertThat(home(remote).resolve("in/a.csv")).hasContent("a");
            assertThat(home(remote).resolve("in/b.csv")).hasContent("bb");
            assertThat(Files.exists(home(local).resolve("outbox/a.csv"))).isFalse();
            assertThat(Files.exists(home(local).resolve("outbox/b.csv"))).isFalse();
        });
        assertThat(home(local).resolve("outbox/c.txt")).exists();
        try (var archived = Files.list(home(local).resolve("archive"))) {
            assertThat(archived.map(p -> p.getFileName().toString().replaceFirst("^[0-9-]+-", "")))
                    .containsExactlyInAnyOrder("a.csv", "b.csv");
        }
        assertThat(admin().get("/api/v1/schedules/" + name).json().get("nextFireAt").asString()).isEqualTo(nextFire);
        // edited: the new cron starts from its next fire; a field it does not name stays
        Api.Response edited = admin().patch("/api/v1/schedules/" + name, "{\"cron\":\"30 6 * * 1-5\"}");
        assertThat(edited.status()).as(edited.body()).isEqualTo(200);
        assertThat(edited.json().get("cron").asString()).isEqualTo("30 6 * * 1-5");
        assertThat(edited.json().get("postAction").asString()).isEqualTo("archive");
        assertThat(edited.json().get("nextFireAt").asString()).isNotEqualTo(nextFire);
        assertThat(admin().patch("/api/v1/schedules/" + name, "{\"cron\":\"never\"}").status()).isEqualTo(400);
        assertThat(admin().delete("/api/v1/schedules/" + name).status()).isEqualTo(204);
    }

    @Test
    void badSchedulesAndMonitorsShouldBeRefusedClearly() throws Exception {
        String local = uniqueUser("owner");
        admin().createAccount(local, "local-password");
        String partner = sftpPartner(local, "local-password");
        Api.Response badCron = admin().post("/api/v1/schedules", "{\"name\":\"bad\",\"kind\":\"pull\",\"cron\":"
                + "\"every day\",\"partner\":\"" + partner + "\",\"account\":\"" + local + "\"}");
        assertThat(badCron.status()).isEqualTo(400);
        assertThat(badCron.body()).contains("cron");
        Api.Response noPartner = admin().post("/api/v1/schedules", "{\"name\":\"bad\",\"kind\":\"pull\",\"cron\":"
                + "\"@daily\",\"partner\":\"nobody\",\"account\":\"" + local + "\"}");
        assertThat(noPartner.status()).isEqualTo(404);
        Api.Response noAccount = admin().post("/api/v1/schedules", "{\"name\":\"bad\",\"kind\":\"pull\",\"cron\":"
                + "\"@daily\",\"partner\":\"" + partner + "\",\"account\":\"nobody\"}");
        assertThat(noAccount.status()).isEqualTo(404);
        assertThat(admin().post("/api/v1/monitors", "{\"name\":\"bad\",\"folder\":\"drop\",\"account\":\"nobody\"}")
                .status()).isEqualTo(404);
        Api.Response escaping = admin().post("/api/v1/monitors", "{\"name\":\"bad\",\"folder\":\"../etc\","
                + "\"account\":\"" + local + "\"}");
        assertThat(escaping.status()).isEqualTo(400);
        assertThat(escaping.body()).contains("ferry.monitors.root");
    }

    @Test
    void aFolderMonitorShouldTakeAFileInOnlyOnceItStoppedGrowing() throws Exception {
        String local = uniqueUser("monitored");
        admin().createAccount(local, "local-password");
        Path folder = DATA_DIR.resolve("monitored").resolve(local).resolve("out");
        Files.createDirectories(folder);
        String monitor = uniqueUser("monitor");
        Api.Response created = admin().post("/api/v1/monitors", "{\"name\":\"" + monitor + "\",\"folder\":\"" + local
                + "/out\",\"fileGlob\":\"*.xml\",\"account\":\"" + local + "\",\"targetFolder\":\"/from-erp\","
                + "\"stableSeconds\":2}");
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        Files.writeString(folder.resolve(".partial.xml"), "hidden: never taken");
        Files.writeString(folder.resolve("readme.txt"), "not matching: never taken");
        Path secret = Files.writeString(DATA_DIR.resolve(local + "-secret.xml"), "<not-for-partners/>");
        Files.createSymbolicLink(folder.resolve("linked.xml"), secret); // a link is never followed

        // another system writes a file slowly: it must not be taken while it grows
        Path target = home(local).resolve("from-erp/invoice.xml");
        StringBuilder written = new StringBuilder();
        try (OutputStream out = Files.newOutputStream(folder.resolve("invoice.xml"), StandardOpenOption.CREATE_NEW)) {
            for (int i = 0; i < 8; i++) {
                String line = "<line n=\"" + i + "\"/>\n";
                out.write(line.getBytes());
                out.flush();
                written.append(line);
                assertThat(Files.exists(target)).as("taken while still growing").isFalse();
                Thread.sleep(500); // a slow writer, slower than the poll, faster than the stable time
            }
        }
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            assertThat(target).hasContent(written.toString().strip());
            assertThat(Files.exists(folder.resolve("invoice.xml"))).isFalse();
        });
        Api.Response edited = admin().patch("/api/v1/monitors/" + monitor, "{\"stableSeconds\":30,\"enabled\":false}");
        assertThat(edited.status()).as(edited.body()).isEqualTo(200);
        assertThat(edited.json().get("stableSeconds").asInt()).isEqualTo(30);
        assertThat(edited.json().get("fileGlob").asString()).isEqualTo("*.xml");
        assertThat(folder.resolve(".partial.xml")).exists();
        assertThat(folder.resolve("readme.txt")).exists();
        assertThat(Files.isSymbolicLink(folder.resolve("linked.xml"))).isTrue();
        assertThat(home(local).resolve("from-erp/linked.xml")).doesNotExist();
        assertThat(rows(local, "inbound", "/from-erp/invoice.xml")).singleElement().satisfies(row -> {
            assertThat(row.get("protocol").asString()).isEqualTo("monitor");
            assertThat(row.get("bytes").asLong()).isEqualTo(written.length());
        });
    }
}
