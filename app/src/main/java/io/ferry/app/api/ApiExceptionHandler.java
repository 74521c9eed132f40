package io.ferry.app.api;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.method.annotation.MethodArgumentTypeMismatchException;

import io.ferry.common.SecretText;
import io.ferry.transfer.account.AccountConflictException;
import io.ferry.transfer.account.AccountNotFoundException;

/** Errors of the REST API as RFC 9457 problem details, with a message that says what to fix. */
@RestControllerAdvice(basePackageClasses = ApiExceptionHandler.class)
class ApiExceptionHandler {

    private static final Logger log = LoggerFactory.getLogger(ApiExceptionHandler.class);

    @ExceptionHandler(IllegalArgumentException.class)
    ProblemDetail badRequest(IllegalArgumentException e) {
        return ProblemDetail.forStatusAndDetail(HttpStatus.BAD_REQUEST, SecretText.redacted(e.getMessage()));
    }

    @ExceptionHandler(MethodArgumentTypeMismatchException.class)
    ProblemDetail badParameter(MethodArgumentTypeMismatchException e) {
        return ProblemDetail.forStatusAndDetail(HttpStatus.BAD_REQUEST,
                "parameter '" + e.getName() + "' has an invalid value");
    }

    @ExceptionHandler(HttpMessageNotReadableException.class)
    ProblemDetail unreadable(HttpMessageNotReadableException e) {
        Throwable cause = e.getMostSpecificCause();
        String detail = cause.getMessage() == null ? "request body is not valid JSON" : cause.getMessage();
        // Keep the first line: it names the field; the rest is parser position noise.
        int newline = detail.indexOf('\n');
        return ProblemDetail.forStatusAndDetail(HttpStatus.BAD_REQUEST,
                "request body is not valid: "
                        + SecretText.redacted(newline > 0 ? detail.substring(0, newline) : detail));
    }

    @ExceptionHandler(AccountNotFoundException.class)
    ProblemDetail notFound(AccountNotFoundException e) {
        return ProblemDetail.forStatusAndDetail(HttpStatus.NOT_FOUND, SecretText.redacted(e.getMessage()));
    }

    @ExceptionHandler(IllegalStateException.class)
    ProblemDetail stateConflict(IllegalStateException e) {
        return ProblemDetail.forStatusAndDetail(HttpStatus.CONFLICT, SecretText.redacted(e.getMessage()));
    }

    @ExceptionHandler(AccountConflictException.class)
    ProblemDetail conflict(AccountConflictException e) {
        return ProblemDetail.forStatusAndDetail(HttpStatus.CONFLICT, SecretText.redacted(e.getMessage()));
    }

    @ExceptionHandler(org.springframework.orm.ObjectOptimisticLockingFailureException.class)
    ProblemDetail concurrentChange(Exception e) {
        log.info("Concurrent change refused: {}", e.getMessage());
        return ProblemDetail.forStatusAndDetail(HttpStatus.CONFLICT,
                "the resource was changed by someone else at the same time; read it again and retry");
    }
}
