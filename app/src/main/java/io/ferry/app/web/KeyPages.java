package io.ferry.app.web;

import java.time.Instant;

import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.ResponseBody;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;

import io.ferry.transfer.partner.PartnerService;
import io.ferry.transfer.pgp.PgpKeys;

/** OpenPGP keys: partners' public keys and Ferry's own key pairs, with fingerprint, expiry and user ids; importing. */
@Controller
class KeyPages {

    /** The import form; a passphrase goes with a key pair only. */
    record KeyForm(String name, String partner, String armored, String passphrase) {
        @Override
        public String toString() { // never the key pair or its passphrase in a log
            return "KeyForm[name=" + name + ", partner=" + partner + "]";
        }
    }

    private final PgpKeys keys;
    private final PartnerService partners;

    KeyPages(PgpKeys keys, PartnerService partners) {
        this.keys = keys;
        this.partners = partners;
    }

    @GetMapping("/pgp-keys")
    String list(Model model) {
        model.addAttribute("keys", keys.list());
        model.addAttribute("partners", partners.list());
        model.addAttribute("soon", Instant.now().plus(PgpKeys.WARN_BEFORE));
        return "pgp-keys";
    }

    @PostMapping("/pgp-keys")
    String create(KeyForm form, RedirectAttributes redirect) {
        return Console.apply(redirect, "/pgp-keys", () -> "OpenPGP key " + keys.create(new PgpKeys.KeyRequest(
                Console.blankToNull(form.name()), Console.blankToNull(form.partner()), form.armored(),
                form.passphrase() == null || form.passphrase().isEmpty() ? null : form.passphrase())).name()
                + " imported.");
    }

    /**
     * The key's public part, armored, as text the browser shows (to copy to a partner); the API's
     * {@code /api/v1/pgp-keys/{name}/public} answers the same as {@code application/pgp-keys} to API credentials.
     */
    @GetMapping(value = "/pgp-keys/{name}/public", produces = "text/plain;charset=US-ASCII")
    @ResponseBody
    String publicKey(@PathVariable String name) {
        return keys.get(name).publicKey();
    }

    @PostMapping("/pgp-keys/{name}/delete")
    String delete(@PathVariable String name, RedirectAttributes redirect) {
        return Console.apply(redirect, "/pgp-keys", () -> {
            keys.delete(name);
            return "OpenPGP key " + name + " removed.";
        });
    }
}
