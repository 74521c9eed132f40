package io.ferry.app.api;

import java.util.List;
import java.util.function.Function;

import org.springframework.data.domain.Page;
import org.springframework.data.domain.PageRequest;
import org.springframework.data.domain.Pageable;
import org.springframework.data.domain.Sort;

/** One page of a listing: the items, and where the page sits in the whole. */
record PageView<T>(List<T> items, int page, int size, long totalItems, int totalPages) {

    static final int MAX_SIZE = 500;

    static <E, T> PageView<T> of(Page<E> page, Function<E, T> mapper) {
        return new PageView<>(page.getContent().stream().map(mapper).toList(), page.getNumber(), page.getSize(),
                page.getTotalElements(), page.getTotalPages());
    }

    static Pageable request(int page, int size, Sort sort) {
        if (page < 0) {
            throw new IllegalArgumentException("page must be 0 or more");
        }
        if (size < 1 || size > MAX_SIZE) {
            throw new IllegalArgumentException("size must be 1-" + MAX_SIZE);
        }
        return PageRequest.of(page, size, sort);
    }
}
