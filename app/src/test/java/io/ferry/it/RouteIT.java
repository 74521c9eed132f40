package io.ferry.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.apache.sshd.sftp.client.SftpClient;
import org.junit.jupiter.api.Test;

import io.ferry.storage.testing.SmallFileSystem;

import tools.jackson.databind.JsonNode;

/**
 * Routes: a file uploaded into a watched folder goes on to a partner through the durable work queue, exactly once,
 * with retries, a failed state and a resubmit. The partner is this node's own SFTP listener, as another account.
 */
class RouteIT extends NodeIT {

    private String route(String account, String glob, String partner, String remoteName) {
        return route(account, glob, partner, remoteName, "keep");
    }

    private String route(String account, String glob, String partner, String remoteName, String postAction) {
        String name = uniqueUser("route");
        Api.Response created = admin().post("/api/v1/routes", "{\"name\":\"" + name + "\",\"account\":\"" + account
                + "\",\"pathGlob\":\"" + glob + "\",\"partner\":\"" + partner + "\",\"remoteName\":\"" + remoteName
                + "\",\"postAction\":\"" + postAction + "\"}");
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        return name;
    }

    private JsonNode itemOf(String route) {
        for (JsonNode item : admin().get("/api/v1/work-items?limit=1000").json()) {
            if (item.get("route").asString().equals(route)) {
                return item;
            }
        }
        return null;
    }

    @Test
    void anUploadMatchingARouteShouldArriveAtThePartnerOnce() throws Exception {
        String source = uniqueUser("src");
        String destination = uniqueUser("dst");
        admin().createAccount(source, "source-password");
        admin().createAccount(destination, "destination-password");
        String partner = sftpPartner(destination, "destination-password");
        String route = route(source, "/outbox/*.csv", partner, "from-ferry-{name}");
        byte[] data = SftpOperationsIT.random(700_000);

        try (SftpClient sftp = clients.sftp(sftpPort(), source, "source-password")) {
            sftp.mkdir("/outbox");
            try (var out = sftp.write("/outbox/orders.csv")) {
                out.write(data);
            }
            try (var out = sftp.write("/outbox/notes.txt")) {
                out.write("not routed".getBytes());
            }
        }
        // the work item was written before the upload was acknowledged
        assertThat(itemOf(route)).isNotNull();
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
                assertThat(itemOf(route).get("state").asString()).isEqualTo("done"));
        assertThat(Files.readAllBytes(home(destination).resolve("in/from-ferry-orders.csv"))).isEqualTo(data);
        try (var listing = Files.list(home(destination).resolve("in"))) {
            assertThat(listing.map(p -> p.getFileName().toString())).containsExactly("from-ferry-orders.csv");
        }
        JsonNode item = itemOf(route);
        assertThat(item.get("attempts").asInt()).isEqualTo(1);
        assertThat(item.get("path").asString()).isEqualTo("/outbox/orders.csv");

        JsonNode rows = admin().get("/api/v1/transfers?account=" + source).json().get("items");
        assertThat(rows.toString()).contains("\"direction\":\"outbound\"");
        // file tracking by partner, protocol and node
        JsonNode byPartner = admin().get("/api/v1/transfers?partner=" + partner).json().get("items");
        assertThat(byPartner).hasSize(1);
        assertThat(byPartner.get(0).get("direction").asString()).isEqualTo("outbound");
        assertThat(byPartner.get(0).get("path").asString()).isEqualTo("/outbox/orders.csv");
        assertThat(admin().get("/api/v1/transfers?partner=no-such-partner").json().get("items")).isEmpty();
        assertThat(admin().get("/api/v1/transfers?account=" + source + "&protocol=sftp&node=it-node").json()
                .get("items")).hasSizeGreaterThanOrEqualTo(3);
        assertThat(admin().get("/api/v1/transfers?account=" + source + "&protocol=ftps").json().get("items")).isEmpty();
    }

    @Test
    void aNewUploadOfANameShouldBeDeliveredEvenWhenItsSizeIsThatOfTheFileThere() throws Exception {
        String source = uniqueUser("src");
        String destination = uniqueUser("dst");
        admin().createAccount(source, "source-password");
        admin().createAccount(destination, "destination-password");
        String partner = sftpPartner(destination, "destination-password");
        String route = route(source, "/outbox/*.edi", partner, "{name}");
        byte[] first = SftpOperationsIT.random(4096);
        byte[] second = SftpOperationsIT.random(4096); // a corrected file: same name, same size, other bytes
        Path delivered = home(destination).resolve("in/invoice.edi");

        try (SftpClient sftp = clients.sftp(sftpPort(), source, "source-password")) {
            sftp.mkdir("/outbox");
            try (var out = sftp.write("/outbox/invoice.edi")) {
                out.write(first);
            }
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
                    assertThat(Files.exists(delivered) ? Files.readAllBytes(delivered) : null).isEqualTo(first));
            try (var out = sftp.write("/outbox/invoice.edi")) {
                out.write(second);
            }
        }
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
                assertThat(Files.readAllBytes(delivered)).isEqualTo(second));
        List<JsonNode> items = new ArrayList<>();
        admin().get("/api/v1/work-items?limit=1000").json().forEach(i -> {
            if (i.get("route").asString().equals(route)) {
                items.add(i);
            }
        });
        assertThat(items).hasSize(2).allSatisfy(i -> {
            assertThat(i.get("state").asString()).isEqualTo("done");
            assertThat(i.get("attempts").asInt()).isEqualTo(1);
        });
        JsonNode rows = admin().get("/api/v1/transfers?account=" + source).json().get("items");
        List<Long> sent = new ArrayList<>();
        rows.forEach(r -> {
            if (r.get("direction").asString().equals("outbound")) {
                sent.add(r.get("bytes").asLong());
            }
        });
        assertThat(sent).as("both deliveries sent the whole file").containsExactly(4096L, 4096L);
    }

    @Test
    void aRouteShouldChangeInPlaceAndSwitchBetweenAPartnerAndACopy() throws Exception {
        String source = uniqueUser("src");
        String destination = uniqueUser("dst");
        admin().createAccount(source, "source-password");
        admin().createAccount(destination, "destination-password");
        String partner = sftpPartner(destination, "destination-password");
        String route = route(source, "/outbox/*.csv", partner, "{name}");
        Api.Response changed = admin().patch("/api/v1/routes/" + route, "{\"pathGlob\":\"/outbox/*.txt\","
                + "\"postAction\":\"delete\"}");
        assertThat(changed.status()).as(changed.body()).isEqualTo(200);
        assertThat(changed.json().get("pathGlob").asString()).isEqualTo("/outbox/*.txt");
        assertThat(changed.json().get("partner").asString()).isEqualTo(partner);
        Api.Response copy = admin().patch("/api/v1/routes/" + route, "{\"copyTo\":\"" + destination + ":/copies\"}");
        assertThat(copy.status()).as(copy.body()).isEqualTo(200);
        assertThat(copy.json().get("partner").isNull()).isTrue();
        assertThat(copy.json().get("copyTo").asString()).isEqualTo(destination + ":/copies");
        assertThat(admin().patch("/api/v1/routes/" + route, "{\"partner\":\"no-such-partner\"}").status())
                .isEqualTo(404);
        assertThat(admin().patch("/api/v1/routes/" + route, "{\"name\":\"renamed\"}").status()).isEqualTo(400);
        assertThat(admin().get("/api/v1/routes/" + route).json().get("copyTo").asString())
                .as("a refused change leaves the route as it was").isEqualTo(destination + ":/copies");
    }

    @Test
    void theSourceShouldBeArchivedOnceEveryRouteDeliveredIt() throws Exception {
        String source = uniqueUser("src");
        String first = uniqueUser("dst");
        String second = uniqueUser("dst");
        admin().createAccount(source, "source-password");
        admin().createAccount(first, "destination-password");
        admin().createAccount(second, "destination-password");
        String keep = route(source, "/outbox/*.edi", sftpPartner(first, "destination-password"), "{name}", "keep");
        String archive = route(source, "/outbox/*.edi", sftpPartner(second, "destination-password"), "{name}",
                "archive");
        try (SftpClient sftp = clients.sftp(sftpPort(), source, "source-password")) {
            sftp.mkdir("/outbox");
            try (var out = sftp.write("/outbox/order.edi")) {
                out.write("UNA:+.? '".getBytes());
            }
        }
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            assertThat(itemOf(keep).get("state").asString()).isEqualTo("done");
            assertThat(itemOf(archive).get("state").asString()).isEqualTo("done");
            assertThat(Files.exists(home(source).resolve("outbox/order.edi"))).isFalse();
        });
        assertThat(Files.readString(home(first).resolve("in/order.edi"))).isEqualTo("UNA:+.? '");
        assertThat(Files.readString(home(second).resolve("in/order.edi"))).isEqualTo("UNA:+.? '");
        try (var archived = Files.list(home(source).resolve("archive"))) {
            assertThat(archived.map(p -> p.getFileName().toString())).singleElement().asString()
                    .endsWith("-order.edi");
        }
        assertThat(admin().post("/api/v1/routes", "{\"name\":\"bad\",\"account\":\"" + source + "\",\"pathGlob\":"
                + "\"/x/*\",\"partner\":\"" + itemOf(keep).get("partner").asString() + "\",\"postAction\":\"shred\"}")
                .status()).isEqualTo(400);
    }

    @Test
    void aDeliveryThatKeepsFailingShouldEndFailedAndGoThroughWhenResubmitted() throws Exception {
        String source = uniqueUser("src");
        String destination = uniqueUser("dst");
        admin().createAccount(source, "source-password");
        admin().createAccount(destination, "destination-password");
        String partner = sftpPartner(destination, "destination-password");
        admin().patch("/api/v1/partners/" + partner, "{\"password\":\"not-the-password\"}");
        String route = route(source, "/outbox/**", partner, "{name}");

        try (SftpClient sftp = clients.sftp(sftpPort(), source, "source-password")) {
            sftp.mkdir("/outbox");
            try (var out = sftp.write("/outbox/invoice.xml")) {
                out.write("<invoice/>".getBytes());
            }
        }
        // three attempts (this test node's setting), with backoff, then failed with the reason
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(itemOf(route).get("state").asString()).isEqualTo("failed"));
        JsonNode failed = itemOf(route);
        assertThat(failed.get("attempts").asInt()).isEqualTo(3);
        assertThat(failed.get("lastError").asString()).isNotBlank();
        assertThat(Files.exists(home(destination).resolve("in/invoice.xml"))).isFalse();

        // the partner is fixed; an administrator resubmits
        admin().patch("/api/v1/partners/" + partner, "{\"password\":\"destination-password\"}");
        Api.Response resubmitted = admin().post("/api/v1/work-items/" + failed.get("id").asLong() + "/resubmit", "");
        assertThat(resubmitted.status()).as(resubmitted.body()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
                assertThat(itemOf(route).get("state").asString()).isEqualTo("done"));
        assertThat(Files.readString(home(destination).resolve("in/invoice.xml"))).isEqualTo("<invoice/>");
        // only failed items are resubmitted
        assertThat(admin().post("/api/v1/work-items/" + failed.get("id").asLong() + "/resubmit", "").status())
                .isEqualTo(409);
    }

    @Test
    void aCopyRouteWithDeleteShouldMoveTheFileIntoAnotherAccountOnce() throws Exception {
        String source = uniqueUser("src");
        String target = uniqueUser("billing");
        admin().createAccount(source, "source-password");
        admin().createAccount(target, "target-password");
        Api.Response created = admin().post("/api/v1/routes", "{\"name\":\"" + uniqueUser("move") + "\",\"account\":\""
                + source + "\",\"pathGlob\":\"/outbox/*.pdf\",\"copyTo\":\"" + target + ":/from-sales\",\"remoteName\":"
                + "\"{date}-{name}\",\"postAction\":\"delete\"}");
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        String route = created.json().get("name").asString();
        // a copy is not copied again by a route of where it arrives (no ring of copy routes runs forever)
        String onward = uniqueUser("onward");
        assertThat(admin().post("/api/v1/routes", "{\"name\":\"" + onward + "\",\"account\":\"" + target
                + "\",\"pathGlob\":\"/from-sales/*\",\"copyTo\":\"" + source + ":/outbox\"}").status()).isEqualTo(201);
        byte[] data = SftpOperationsIT.random(400_000);
        try (SftpClient sftp = clients.sftp(sftpPort(), source, "source-password")) {
            sftp.mkdir("/outbox");
            try (var out = sftp.write("/outbox/invoice.pdf")) {
                out.write(data);
            }
        }
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            assertThat(itemOf(route).get("state").asString()).isEqualTo("done");
            assertThat(Files.exists(home(source).resolve("outbox/invoice.pdf"))).isFalse();
        });
        // the copy's arrival committed (with any items it queued) before the item was done: the onward route has none
        assertThat(itemOf(onward)).isNull();
        try (var copied = Files.list(home(target).resolve("from-sales"))) {
            assertThat(copied.map(p -> p.getFileName().toString())).singleElement().asString()
                    .matches("[0-9]{8}-invoice\\.pdf");
        }
        try (var copied = Files.list(home(target).resolve("from-sales"))) {
            assertThat(Files.readAllBytes(copied.findFirst().orElseThrow())).isEqualTo(data);
        }
        JsonNode rows = admin().get("/api/v1/transfers?account=" + target).json().get("items");
        assertThat(rows).singleElement().satisfies(row -> {
            assertThat(row.get("direction").asString()).isEqualTo("inbound");
            assertThat(row.get("protocol").asString()).isEqualTo("copy");
            assertThat(row.get("clientAddress").asString()).isEqualTo(source + ":/outbox/invoice.pdf");
        });
        // a copy into a folder its own glob matches would copy its copies forever: refused
        Api.Response loop = admin().post("/api/v1/routes", "{\"name\":\"loop\",\"account\":\"" + source + "\","
                + "\"pathGlob\":\"/outbox/**\",\"copyTo\":\"/outbox/copies\"}");
        assertThat(loop.status()).isEqualTo(400);
        assertThat(loop.body()).contains("forever");
        assertThat(admin().post("/api/v1/routes", "{\"name\":\"nowhere\",\"account\":\"" + source + "\","
                + "\"pathGlob\":\"/outbox/*\",\"copyTo\":\"nobody:/in\"}").status()).isEqualTo(404);
    }

    @Test
    void aCopyIntoAFullStorageShouldFailInWordsLeaveNothingAndArriveWholeOnceThereIsRoom() throws Exception {
        String source = uniqueUser("src");
        String target = uniqueUser("full");
        admin().createAccount(source, "source-password");
        admin().createAccount(target, "target-password");
        String route = uniqueUser("copy-full");
        assertThat(admin().post("/api/v1/routes", "{\"name\":\"" + route + "\",\"account\":\"" + source
                + "\",\"pathGlob\":\"/*.bin\",\"copyTo\":\"" + target + ":/in\"}").status()).isEqualTo(201);
        byte[] data = SftpOperationsIT.random(3_000_000);
        try (SmallFileSystem disk = SmallFileSystem.mount(home(target), 1 << 20)) {
            try (SftpClient sftp = clients.sftp(sftpPort(), source, "source-password")) {
                SftpOperationsIT.write(sftp, "/big.bin", data);
            }
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                JsonNode item = itemOf(route);
                assertThat(item).isNotNull();
                assertThat(item.get("attempts").asInt()).isPositive();
                assertThat(item.get("lastError").asString()).contains("no space left on the storage");
            });
            // nothing half arrived: no file, and no pending upload left by an intake (nobody resumes one); a retry
            // may be taking the file in right now, so the walk is asked again until it finds the home at rest
            await().atMost(Duration.ofSeconds(10)).ignoreExceptions().untilAsserted(() -> {
                try (var left = Files.walk(home(target))) {
                    assertThat(left.filter(Files::isRegularFile)).isEmpty();
                }
            });
            JsonNode row = admin().get("/api/v1/transfers?account=" + target).json().get("items").get(0);
            assertThat(row.get("status").asString()).isEqualTo("failed");
            assertThat(row.get("error").asString()).contains("no space left on the storage");

            disk.resize(16 << 20);
            if (itemOf(route).get("state").asString().equals("failed")) { // its attempts ran out meanwhile
                assertThat(admin().post("/api/v1/work-items/" + itemOf(route).get("id").asLong() + "/resubmit", "")
                        .status()).isEqualTo(200);
            }
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                    assertThat(itemOf(route).get("state").asString()).isEqualTo("done"));
            assertThat(SftpOperationsIT.sha256(Files.readAllBytes(home(target).resolve("in/big.bin"))))
                    .isEqualTo(SftpOperationsIT.sha256(data));
        }
    }

    @Test
    void aPartnersMaxParallelShouldBoundItsConcurrentTransfers() throws Exception {
        String source = uniqueUser("src");
        String destination = uniqueUser("dst");
        admin().createAccount(source, "source-password");
        admin().createAccount(destination, "destination-password");
        String partner = sftpPartner(destination, "destination-password");
        assertThat(admin().patch("/api/v1/partners/" + partner, "{\"maxParallel\":1}").status()).isEqualTo(200);
        try (SftpClient sftp = clients.sftp(sftpPort(), source, "source-password")) {
            sftp.mkdir("/outbox");
            for (int i = 0; i < 6; i++) {
                try (var out = sftp.write("/outbox/part-" + i + ".bin")) {
                    out.write(SftpOperationsIT.random(12_000_000));
                }
            }
        }
        // one push queues all six at once: the node's four workers would send them side by side
        String push = uniqueUser("push");
        assertThat(admin().post("/api/v1/schedules", "{\"name\":\"" + push + "\",\"kind\":\"push\",\"cron\":"
                + "\"@yearly\",\"partner\":\"" + partner + "\",\"account\":\"" + source + "\",\"folder\":\"/outbox\"}")
                .status()).isEqualTo(201);
        assertThat(admin().post("/api/v1/schedules/" + push + "/run", "").json().get("items").asInt()).isEqualTo(6);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            try (var delivered = Files.list(home(destination).resolve("in"))) {
                assertThat(delivered.filter(p -> p.getFileName().toString().startsWith("part-"))).hasSize(6);
            }
        });
        // at the partner (this node) the six uploads came one after the other over one connection: with more
        // transfers at once, the node's four workers would each have opened their own
        java.util.Set<String> sessions = new java.util.HashSet<>();
        int uploads = 0;
        for (JsonNode row : admin().get("/api/v1/transfers?size=100&account=" + destination).json().get("items")) {
            if (row.get("direction").asString().equals("upload")) {
                uploads++;
                sessions.add(row.get("sessionId").asString());
            }
        }
        assertThat(uploads).isEqualTo(6);
        assertThat(sessions).hasSize(1);
    }
}
