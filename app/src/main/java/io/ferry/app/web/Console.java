package io.ferry.app.web;

import java.security.Principal;

import org.springframework.security.core.Authentication;
import org.springframework.web.bind.annotation.ControllerAdvice;
import org.springframework.web.bind.annotation.ModelAttribute;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;

import io.ferry.app.cluster.ClusterOverview;
import io.ferry.transfer.account.AccountConflictException;
import io.ferry.transfer.account.AccountNotFoundException;

/**
 * What every page of the web console shares: who is logged in and with which role, which node answers; and how a
 * form's change reports back (a message on the page it redirects to, never a stack trace).
 */
@ControllerAdvice(basePackageClasses = Console.class)
class Console {

    /** A change a form asks for. */
    interface Change {
        String run() throws Exception;
    }

    private final ClusterOverview cluster;

    Console(ClusterOverview cluster) {
        this.cluster = cluster;
    }

    @ModelAttribute("user")
    String user(Principal principal) {
        return principal == null ? null : principal.getName();
    }

    @ModelAttribute("admin")
    boolean admin(Authentication authentication) {
        return authentication != null && authentication.getAuthorities().stream()
                .anyMatch(a -> "ROLE_ADMIN".equals(a.getAuthority()));
    }

    @ModelAttribute("node")
    String node() {
        return cluster.nodeId();
    }

    /**
     * Runs a change and redirects to {@code target}: its message as a notice when it worked, the refusal's reason
     * as an error when it was refused.
     */
    static String apply(RedirectAttributes redirect, String target, Change change) {
        try {
            redirect.addFlashAttribute("notice", change.run());
        } catch (IllegalArgumentException | IllegalStateException | AccountConflictException
                | AccountNotFoundException e) {
            redirect.addFlashAttribute("error", e.getMessage());
        } catch (Exception e) {
            redirect.addFlashAttribute("error", "failed: " + e.getMessage());
        }
        return "redirect:" + target;
    }

    static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value.trim();
    }

}
