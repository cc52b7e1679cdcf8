"""Analytics in headless Chromium: the head opens the pages from the menu; screenshots kept."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from dispatcher.analytics.charts import CHARTS
from tests.analytics.conftest import store_small_month
from tests.desk.conftest import LiveServer, login, make_user, screenshot


def _charts_loaded(page: Page) -> None:
    for name in CHARTS:
        image = page.locator(f"#chart-{name}")
        expect(image).to_be_visible()
        image.scroll_into_view_if_needed()
        page.wait_for_function(
            "el => el.complete && el.naturalWidth === 800", arg=image.element_handle()
        )


def test_browser_head_opens_analytics_with_charts_and_exports(
    page: Page, live_server: LiveServer
) -> None:
    month, _ = store_small_month(live_server.db, days=31, calls_per_day=60)
    make_user(live_server.db, "b-head", "head")
    login(page, live_server, "b-head")
    page.goto(f"{live_server.url}/desk")
    page.click("#nav-analytics")
    expect(page.locator("h1")).to_have_text("Аналитика: качество приёма и сроки")
    page.fill("#first", "2026-10-01")
    page.fill("#last", "2026-10-31")
    page.click("#period button[type=submit]")
    expect(page).to_have_url(f"{live_server.url}/desk/analytics?first=2026-10-01&last=2026-10-31")
    expect(page.locator("#summary")).to_contain_text(f"Вызовов за период{len(month.calls)}")
    expect(page.locator("#table-operators")).to_contain_text("Оператор Третий (демо)")
    _charts_loaded(page)
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "analytics")  # the whole page: tables and every chart
    with page.expect_download() as download:
        page.click("#export-xlsx")
    assert download.value.suggested_filename == "analytics-all-2026-10-01-2026-10-31.xlsx"


def test_browser_operator_is_refused_analytics(page: Page, live_server: LiveServer) -> None:
    make_user(live_server.db, "b-agent", "agent")
    login(page, live_server, "b-agent")
    expect(page.locator("#nav-analytics")).to_have_count(0)
    page.goto(f"{live_server.url}/desk/analytics")
    expect(page.locator("body")).to_contain_text("Недостаточно прав")
    screenshot(page, "analytics_refused")
