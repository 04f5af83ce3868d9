"""What the catalogue holds and how it changes: importing and undoing (imports), how sources'
records merge (merge), what writes report (reports), thumbnails, GitHub stars, key phrases."""
