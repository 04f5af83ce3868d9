"""What readers browse: the daily feed and trending (listings), a paper as readers see it (cards),
a paper as Markdown (markdown)."""
