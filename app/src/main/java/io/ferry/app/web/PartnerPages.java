package io.ferry.app.web;

import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;

import io.ferry.transfer.partner.PartnerService;
import io.ferry.transfer.partner.PartnerService.PartnerRequest;

/** Partners: the remote SFTP and FTPS servers Ferry delivers to and pulls from; adding one, testing its connection. */
@Controller
class PartnerPages {

    /** The partner form; blank fields are not sent. */
    record PartnerForm(String name, String protocol, String host, Integer port, String username, String password,
            String privateKey, String hostKey, String remoteDir, Integer connectTimeoutSeconds,
            Integer transferTimeoutSeconds, Integer maxParallel, String ftpsMode, String certificateFingerprint,
            String trustedCertificates) {

        PartnerRequest request() {
            return new PartnerRequest(Console.blankToNull(name), Console.blankToNull(protocol),
                    Console.blankToNull(host), port, Console.blankToNull(username), Console.blankToNull(password),
                    Console.blankToNull(privateKey), Console.blankToNull(hostKey), Console.blankToNull(remoteDir),
                    connectTimeoutSeconds, transferTimeoutSeconds, maxParallel,
                    "ftps".equals(protocol) ? Console.blankToNull(ftpsMode) : null,
                    Console.blankToNull(certificateFingerprint), Console.blankToNull(trustedCertificates));
        }
    }

    private final PartnerService partners;

    PartnerPages(PartnerService partners) {
        this.partners = partners;
    }

    /** The list; with {@code edit}, the form below it changes that partner instead of adding one. */
    @GetMapping("/partners")
    String list(@org.springframework.web.bind.annotation.RequestParam(required = false) String edit, Model model) {
        model.addAttribute("partners", partners.list());
        model.addAttribute("editing", edit == null ? null : partners.get(edit));
        return "partners";
    }

    /** A change: blank fields (the password and private key among them) stay as they are. */
    @PostMapping("/partners/{name}")
    String update(@PathVariable String name, PartnerForm form, RedirectAttributes redirect) {
        PartnerRequest r = form.request();
        return Console.apply(redirect, "/partners", () -> "Partner " + partners.update(name, new PartnerRequest(null,
                null, r.host(), r.port(), r.username(), r.password(), r.privateKey(), r.hostKey(), r.remoteDir(),
                r.connectTimeoutSeconds(), r.transferTimeoutSeconds(), r.maxParallel(), r.ftpsMode(),
                r.certificateFingerprint(), r.trustedCertificates())).name() + " changed.");
    }

    /** Pins what the last connection check showed: the SFTP host key, or the FTPS certificate's fingerprint. */
    @PostMapping("/partners/{name}/pin")
    String pin(@PathVariable String name, @org.springframework.web.bind.annotation.RequestParam(required = false)
            String hostKey, @org.springframework.web.bind.annotation.RequestParam(required = false) String certificate,
            RedirectAttributes redirect) {
        return Console.apply(redirect, "/partners", () -> {
            partners.update(name, new PartnerRequest(null, null, null, null, null, null, null,
                    Console.blankToNull(hostKey), null, null, null, null, null, Console.blankToNull(certificate),
                    null));
            return "Partner " + name + " now pins " + (hostKey != null ? hostKey : certificate) + ".";
        });
    }

    @PostMapping("/partners")
    String create(PartnerForm form, RedirectAttributes redirect) {
        return Console.apply(redirect, "/partners", () ->
                "Partner " + partners.create(form.request()).name() + " added. Check its connection to see the "
                        + "host key or certificate it presents.");
    }

    /** Connects as a delivery would; the result, with what the server presented, comes back on the list. */
    @PostMapping("/partners/{name}/check")
    String check(@PathVariable String name, RedirectAttributes redirect) {
        PartnerService.Check check;
        try {
            check = partners.check(name);
        } catch (RuntimeException e) {
            return Console.apply(redirect, "/partners", () -> {
                throw e;
            });
        }
        redirect.addFlashAttribute("check", check);
        redirect.addFlashAttribute("checked", name);
        return "redirect:/partners";
    }

    @PostMapping("/partners/{name}/delete")
    String delete(@PathVariable String name, RedirectAttributes redirect) {
        return Console.apply(redirect, "/partners", () -> {
            partners.delete(name);
            return "Partner " + name + " deleted.";
        });
    }
}
