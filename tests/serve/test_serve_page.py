"""The web page in a real browser: Debian's chromium + chromium-driver, headless, through
Selenium, against the real `fast` chain on a loopback uvicorn server. Upload the demo photo,
paste the demo text, Run; Eileen Collins highlighted as PER and labelled on the drawn photo;
then ask the chat where she is. Saves a screenshot (RIVEG_SCREENSHOT=path keeps a copy)."""
from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER),
    reason="no chromium/chromedriver on PATH (apt-get install -y chromium chromium-driver)")

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1400,2000"]


@pytest.fixture()
def browser(tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    profile = tmp_path / "profile"
    profile.mkdir()
    options.add_argument(f"--user-data-dir={profile}")  # empty: nothing from a previous run
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(120)
    yield driver
    driver.quit()


def test_page_grounds_the_demo_post_and_answers_the_chat(fast_server, browser, demo_image, demo_text, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    def find(css):
        return browser.find_element(By.CSS_SELECTOR, css)

    browser.get(f"{fast_server}/")
    wait = WebDriverWait(browser, 120)
    upload = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "#riveg-photo input[type=file]"))
    upload.send_keys(str(demo_image))
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#riveg-photo img"))  # the upload is shown
    find("#riveg-text textarea").send_keys(demo_text)
    find("#riveg-run").click()

    # The chain runs (progress shown), then the entities appear highlighted with their types.
    WebDriverWait(browser, 600).until(lambda d: "Eileen Collins" in d.find_element(By.ID, "riveg-entities").text)
    spans = browser.execute_script("""
        return [...document.querySelectorAll('#riveg-entities .token')].map(
            s => [s.querySelector('.text') ? s.querySelector('.text').innerText : s.innerText,
                  s.querySelector('.label') ? s.querySelector('.label').innerText : null]);""")
    assert ["Eileen Collins", "PER"] in [[t.strip(), (lab or "").strip()] for t, lab in spans], spans
    # The drawn photo carries her box (its legend names her) and the table her VE decision.
    wait.until(lambda d: "Eileen Collins (PER)" in d.find_element(By.ID, "riveg-image").text)
    assert find("#riveg-image img").get_attribute("src")
    table = find("#riveg-table").text
    assert "Eileen Collins" in table and "yes" in table
    assert "Eileen Collins (PER)" in find("#riveg-toggle").text

    find("#riveg-question textarea").send_keys("Where is Eileen Collins?")
    find("#riveg-ask").click()
    WebDriverWait(browser, 300).until(lambda d: "box" in d.find_element(By.ID, "riveg-chat").text)
    chat = find("#riveg-chat").text
    assert "Eileen Collins is in the picture" in chat and "box [" in chat, chat

    shot = tmp_path / "serve-page.png"
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
    if os.environ.get("RIVEG_SCREENSHOT"):
        shutil.copy(shot, os.environ["RIVEG_SCREENSHOT"])
