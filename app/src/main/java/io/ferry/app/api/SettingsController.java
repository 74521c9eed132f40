package io.ferry.app.api;

import java.security.Principal;
import java.util.List;

import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

import io.ferry.app.cluster.SettingsService;

/** Settings an administrator changes while the cluster runs; every node applies a change within a second. */
@RestController
@RequestMapping("/api/v1/settings")
class SettingsController {

    record SettingValue(String value) {
    }

    private final SettingsService settings;

    SettingsController(SettingsService settings) {
        this.settings = settings;
    }

    @GetMapping
    List<SettingsService.SettingView> list() {
        return settings.list();
    }

    @PutMapping("/{name}")
    SettingsService.SettingView set(@PathVariable String name, @RequestBody SettingValue body, Principal who) {
        return settings.set(name, body == null ? null : body.value(), who == null ? "?" : who.getName());
    }

    /** Back to the value in the node's configuration. */
    @DeleteMapping("/{name}")
    SettingsService.SettingView reset(@PathVariable String name, Principal who) {
        return settings.reset(name, who == null ? "?" : who.getName());
    }
}
