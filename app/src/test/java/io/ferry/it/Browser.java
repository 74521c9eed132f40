package io.ferry.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriverException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Debian's headless Chromium driven through its chromedriver (both installed by {@code .ci/run}), with screenshots
 * saved under {@code target/screenshots}, and the docs' pictures under {@code docs/images}. Fails, never skips, when
 * the browser is missing.
 */
final class Browser implements AutoCloseable {

    static final Path SCREENSHOTS = Path.of("target", "screenshots");
    /** The pictures of the README and docs/, from the app module the tests run in. */
    static final Path DOCS_IMAGES = Path.of("..", "docs", "images");
    /** Where the browser saves what it downloads. */
    static final Path DOWNLOADS = Path.of("target", "downloads").toAbsolutePath();
    private static final List<String> BROWSERS = List.of("/usr/bin/chromium", "/usr/bin/chromium-browser",
            "/usr/bin/google-chrome");
    private static final List<String> DRIVERS = List.of("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver");

    final ChromeDriver driver;
    private final String base;

    Browser(int httpPort) {
        String browser = first(BROWSERS, "Chromium (apt-get install chromium)");
        String chromedriver = first(DRIVERS, "chromedriver (apt-get install chromium-driver)");
        ChromeOptions options = new ChromeOptions();
        options.setBinary(browser);
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1400,1000", "--lang=en-US");
        options.setExperimentalOption("prefs", java.util.Map.of("download.default_directory", DOWNLOADS.toString(),
                "download.prompt_for_download", false));
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(Path.of(chromedriver).toFile()).usingAnyFreePort().build();
        driver = new ChromeDriver(service, options);
        driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(30));
        base = "http://127.0.0.1:" + httpPort;
    }

    void open(String path) {
        driver.get(base + path);
    }

    WebElement find(String css) {
        return driver.findElement(By.cssSelector(css));
    }

    List<WebElement> all(String css) {
        return driver.findElements(By.cssSelector(css));
    }

    String text(String css) {
        return find(css).getText();
    }

    void type(String css, String text) {
        WebElement field = find(css);
        field.clear();
        field.sendKeys(text);
    }

    /** Clicks what leads to another page, and waits until the browser has left this one. */
    void click(String css) {
        click(find(css));
    }

    void click(WebElement element) {
        WebElement page = find("html");
        element.click();
        // the old page's root is gone once the browser left it: stale, or (Chromium newer than this Selenium) "does not
        // belong to the document"
        new WebDriverWait(driver, Duration.ofSeconds(20)).until(d -> {
            try {
                page.isEnabled();
                return false;
            } catch (WebDriverException gone) {
                return true;
            }
        });
    }

    String path() {
        return driver.getCurrentUrl().substring(base.length());
    }

    void login(String user, String password) {
        open("/login");
        type("#username", user);
        type("#password", password);
        click("#login");
    }

    /** Saves the page as {@code target/screenshots/<name>.png}. */
    Path screenshot(String name) {
        return save(SCREENSHOTS, name);
    }

    /**
     * Saves the page as {@code docs/images/<name>.png}, the picture the README or the docs show, so it is taken
     * anew from the console as it is on every run and cannot go stale.
     */
    Path screenshotForDocs(String name) {
        if (!Files.isDirectory(DOCS_IMAGES)) {
            throw new IllegalStateException(DOCS_IMAGES.toAbsolutePath() + " is missing: the browser test runs in "
                    + "the app module of a checkout");
        }
        return save(DOCS_IMAGES, name);
    }

    private Path save(Path dir, String name) {
        try {
            Files.createDirectories(dir);
            Path file = dir.resolve(name + ".png");
            Files.write(file, driver.getScreenshotAs(OutputType.BYTES));
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String first(List<String> candidates, String what) {
        return candidates.stream().filter(c -> Files.isExecutable(Path.of(c))).findFirst().orElseThrow(() ->
                new IllegalStateException("The browser tests need " + what + "; none of " + candidates + " exists"));
    }

    @Override
    public void close() {
        driver.quit();
    }
}
