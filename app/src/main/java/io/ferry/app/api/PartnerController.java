package io.ferry.app.api;

import java.net.URI;
import java.util.List;

import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PatchMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

import io.ferry.transfer.partner.Partner;
import io.ferry.transfer.partner.PartnerService;
import io.ferry.transfer.partner.PartnerService.PartnerRequest;

/** Partners: the remote SFTP servers Ferry connects to, with their pinned host keys. */
@RestController
@RequestMapping("/api/v1/partners")
class PartnerController {

    private final PartnerService partners;

    PartnerController(PartnerService partners) {
        this.partners = partners;
    }

    @PostMapping
    ResponseEntity<Partner> create(@RequestBody PartnerRequest body) {
        Partner partner = partners.create(body);
        return ResponseEntity.created(URI.create("/api/v1/partners/" + partner.name())).body(partner);
    }

    @GetMapping
    List<Partner> list() {
        return partners.list();
    }

    @GetMapping("/{name}")
    Partner get(@PathVariable String name) {
        return partners.get(name);
    }

    @PatchMapping("/{name}")
    Partner update(@PathVariable String name, @RequestBody PartnerRequest body) {
        if (body.name() != null && !body.name().equals(name)) {
            throw new IllegalArgumentException("a partner cannot be renamed; create another");
        }
        return partners.update(name, body);
    }

    @DeleteMapping("/{name}")
    ResponseEntity<Void> delete(@PathVariable String name) {
        partners.delete(name);
        return ResponseEntity.noContent().build();
    }

    /** Connects as a delivery would and reports the outcome (always 200; {@code ok} says whether it worked). */
    @PostMapping("/{name}/check")
    PartnerService.Check check(@PathVariable String name) {
        return partners.check(name);
    }
}
