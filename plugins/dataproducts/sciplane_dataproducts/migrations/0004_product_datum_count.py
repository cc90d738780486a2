"""Each product's number of datums, stored on the product.

A TOM product record carries ``reduceddatum_count``; counted per request, a light curve of a million rows
cost a million index entries on every list page that showed it.  The services keep the column in step in
the transactions that add or remove a product's datums; this migration counts the datums already stored.
"""


def up(migrator, db):
    db.execute_sql("ALTER TABLE dp_product ADD COLUMN datum_count BIGINT NOT NULL DEFAULT 0")
    db.execute_sql("UPDATE dp_product SET datum_count = (SELECT COUNT(*) FROM dp_datum "
                   "WHERE dp_datum.data_product_id = dp_product.id)")


def down(migrator, db):
    db.execute_sql("ALTER TABLE dp_product DROP COLUMN datum_count")
