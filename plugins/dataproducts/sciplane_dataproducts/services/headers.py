"""A product's FITS header as the header endpoints show it (§8.4): cards in file order, typed values."""

from __future__ import annotations

from typing import Any

from ..models import Product, ProductHeader


def body(product: Product) -> dict[str, Any]:
    stored = ProductHeader.select(ProductHeader.cards).where(ProductHeader.product == product.id).first()
    cards = stored.cards if stored is not None else []
    return {"id": product.id, "file_name": product.file_name,
            "header": [{"keyword": keyword, "value": value, "comment": comment}
                       for keyword, value, comment, *_ in cards]}
