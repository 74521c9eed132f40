package io.ferry.app.api;

import java.net.URI;
import java.util.List;

import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import io.ferry.transfer.route.RouteService;
import io.ferry.transfer.route.WorkQueue;

/** Routes (an upload goes on to a partner) and the work items that carry them out. */
@RestController
@RequestMapping("/api/v1")
class RouteController {

    private final RouteService routes;
    private final WorkQueue queue;

    RouteController(RouteService routes, WorkQueue queue) {
        this.routes = routes;
        this.queue = queue;
    }

    @PostMapping("/routes")
    ResponseEntity<RouteService.Route> create(@RequestBody RouteService.RouteRequest body) {
        RouteService.Route route = routes.create(body);
        return ResponseEntity.created(URI.create("/api/v1/routes/" + route.name())).body(route);
    }

    @GetMapping("/routes")
    List<RouteService.Route> list() {
        return routes.list();
    }

    @GetMapping("/routes/{name}")
    RouteService.Route get(@PathVariable String name) {
        return routes.get(name);
    }

    /** A change; absent fields stay (a partner replaces a copy target and the other way round). */
    @org.springframework.web.bind.annotation.PatchMapping("/routes/{name}")
    RouteService.Route update(@PathVariable String name, @RequestBody RouteService.RouteRequest body) {
        return routes.update(name, body);
    }

    @DeleteMapping("/routes/{name}")
    ResponseEntity<Void> delete(@PathVariable String name) {
        routes.delete(name);
        return ResponseEntity.noContent().build();
    }

    /** The latest work items, newest first; {@code state}: queued, running, done or failed. */
    @GetMapping("/work-items")
    List<WorkQueue.Item> items(@RequestParam(required = false) String state,
            @RequestParam(defaultValue = "100") int limit) {
        if (limit < 1 || limit > 1000) {
            throw new IllegalArgumentException("limit must be 1-1000");
        }
        return queue.list(state, limit);
    }

    @GetMapping("/work-items/{id}")
    WorkQueue.Item item(@PathVariable long id) {
        return queue.get(id);
    }

    /** A failed item goes back to the queue with fresh attempts (409 unless it failed). */
    @PostMapping("/work-items/{id}/resubmit")
    WorkQueue.Item resubmit(@PathVariable long id) {
        return queue.resubmit(id);
    }
}
