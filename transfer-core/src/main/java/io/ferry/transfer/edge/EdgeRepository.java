package io.ferry.transfer.edge;

import java.util.Optional;

import org.springframework.data.jpa.repository.JpaRepository;

interface EdgeRepository extends JpaRepository<Edge, Long> {

    Optional<Edge> findByName(String name);
}
