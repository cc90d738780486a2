"""sciplane-calcat: the Calibration Catalog (CalCat) API as a sciplane plugin."""
