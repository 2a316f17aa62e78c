"""The parties that ship with Manzoori, each its own package in `manzoori.provinces`."""
