package io.ferry.app.api;

import java.net.URI;
import java.util.List;

import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

import io.ferry.transfer.pgp.PgpKeys;

/**
 * OpenPGP keys: partners' public keys and Ferry's own key pairs, imported as armored text; a key's public part can be
 * fetched armored (what a partner is given to encrypt to Ferry and to verify its signatures).
 */
@RestController
@RequestMapping("/api/v1/pgp-keys")
class PgpKeyController {

    private final PgpKeys keys;

    PgpKeyController(PgpKeys keys) {
        this.keys = keys;
    }

    @PostMapping
    ResponseEntity<PgpKeys.Key> create(@RequestBody PgpKeys.KeyRequest body) {
        PgpKeys.Key key = keys.create(body);
        return ResponseEntity.created(URI.create("/api/v1/pgp-keys/" + key.name())).body(key);
    }

    @GetMapping
    List<PgpKeys.Key> list() {
        return keys.list();
    }

    @GetMapping("/{name}")
    PgpKeys.Key get(@PathVariable String name) {
        return keys.get(name);
    }

    /** The key's public part, armored ({@code application/pgp-keys}, RFC 3156). */
    @GetMapping(value = "/{name}/public", produces = "application/pgp-keys")
    ResponseEntity<String> publicKey(@PathVariable String name) {
        return ResponseEntity.ok().contentType(MediaType.parseMediaType("application/pgp-keys"))
                .body(keys.get(name).publicKey());
    }

    /** Removes a key (409 while a route names it). */
    @DeleteMapping("/{name}")
    ResponseEntity<Void> delete(@PathVariable String name) {
        keys.delete(name);
        return ResponseEntity.noContent().build();
    }
}
