"""What production does not expose: the local-only sign-in and dev pages."""

from app.config import Settings
from app.container import build_container
from app.web import create_app

PROD = {
    "HEMLINE_ENV": "prod",
    "SHOPIFY_API_KEY": "prod-key",
    "SHOPIFY_API_SECRET": "p" * 38,
    "HEMLINE_APP_URL": "https://hemline.example.com",
    "HEMLINE_SECRET_KEY": "s" * 40,
    "HEMLINE_KMS_KEY_ID": "alias/hemline-prod-tokens",
    "HEMLINE_FILES_BUCKET": "hemline-prod-files-123456789012",
    "HEMLINE_MAIL_SENDER": "Returns <returns@petiteplume.example>",
    "AWS_REGION": "us-east-1",
}


def test_local_sign_in_does_not_exist_in_prod():
    app = create_app(container=build_container(Settings.from_env(PROD)))
    client = app.test_client()
    assert client.post("/admin/dev-sign-in", data={"shop": "a.myshopify.com"}).status_code == 404
    page = client.get("/admin?shop=a.myshopify.com")
    assert page.status_code == 401
    assert "Local development only" not in page.get_data(as_text=True)
    assert "app-bridge.js" in page.get_data(as_text=True)


def test_prod_lands_merchants_in_the_shopify_admin():
    container = build_container(Settings.from_env(PROD))
    assert container.admin_landing_url("petite-plume.myshopify.com") == (
        "https://admin.shopify.com/store/petite-plume/apps/prod-key"
    )
