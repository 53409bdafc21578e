"""Language machinery: parsing, walking and name resolution, one package per language."""
