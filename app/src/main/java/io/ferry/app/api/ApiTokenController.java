package io.ferry.app.api;

import java.net.URI;
import java.time.Instant;
import java.util.List;

import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.security.core.Authentication;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

import io.ferry.app.admin.ApiTokens;

/**
 * API tokens for scripts and Prometheus: create one (its secret in the answer, once), list them (never a secret),
 * revoke one. Creating and revoking need the administrator's role.
 */
@RestController
@RequestMapping("/api/v1/tokens")
class ApiTokenController {

    record TokenRequest(String name, String scope, Integer days) {
    }

    /** A new token: {@code token} is its secret, shown this once. */
    record CreatedView(long id, String name, String scope, Instant expiresAt, String token) {
    }

    private final ApiTokens tokens;

    ApiTokenController(ApiTokens tokens) {
        this.tokens = tokens;
    }

    @PostMapping
    ResponseEntity<CreatedView> create(@RequestBody TokenRequest body, Authentication who) {
        if (body == null) {
            throw new IllegalArgumentException("give a name, a scope (read or full) and days (1-365)");
        }
        ApiTokens.Created created = tokens.create(body.name(), body.scope() == null ? "read" : body.scope(),
                body.days() == null ? 90 : body.days(), who.getName());
        ApiTokens.Token token = created.token();
        return ResponseEntity.created(URI.create("/api/v1/tokens/" + token.id())).body(new CreatedView(token.id(),
                token.name(), token.scope(), token.expiresAt(), created.secret()));
    }

    @GetMapping
    List<ApiTokens.Token> list() {
        return tokens.list();
    }

    @DeleteMapping("/{id}")
    ResponseEntity<Object> revoke(@PathVariable long id, Authentication who) {
        if (tokens.revoke(id, who.getName())) {
            return ResponseEntity.noContent().build();
        }
        return ResponseEntity.status(HttpStatus.NOT_FOUND).body(ProblemDetail.forStatusAndDetail(HttpStatus.NOT_FOUND,
                "no active token " + id));
    }
}
