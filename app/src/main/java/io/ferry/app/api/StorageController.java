package io.ferry.app.api;

import java.time.Instant;

import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

import io.ferry.storage.Reencryption;
import io.ferry.storage.StorageHealth;
import io.ferry.storage.StorageRoot;

/** The shared storage: its state, and the background re-encryption after a key rotation. */
@RestController
@RequestMapping("/api/v1/storage")
class StorageController {

    record StorageView(String root, boolean encrypted, String activeKey, boolean available, String detail,
            long freeBytes, long probeMillis, Instant checkedAt) {
    }

    private final StorageRoot storage;

    StorageController(StorageRoot storage) {
        this.storage = storage;
    }

    @GetMapping
    StorageView get() {
        StorageHealth.Status status = storage.health().status();
        return new StorageView(storage.path().toString(), storage.encrypts(), storage.activeKeyId(), status.up(),
                status.detail(), status.freeBytes(), status.probeLatency().toMillis(), status.checkedAt());
    }

    /** Starts rewriting every file not under the active key; 409 if a pass is running or encryption is off. */
    @PostMapping("/reencrypt")
    ResponseEntity<Reencryption.Progress> reencrypt() {
        Reencryption reencryption = storage.reencryption();
        boolean started = reencryption.start(task -> {
            Thread thread = new Thread(task, "storage-reencryption");
            thread.setDaemon(true);
            thread.start();
        });
        if (!started) {
            throw new IllegalStateException("a re-encryption pass is already running");
        }
        return ResponseEntity.status(HttpStatus.ACCEPTED).body(reencryption.progress());
    }

    @GetMapping("/reencrypt")
    Reencryption.Progress progress() {
        return storage.reencryption().progress();
    }
}
