"""The web app: `app.create_app(pt, config, ...)` serves pages, the JSON API and Atom feeds over a
`Papertide`; `serve.run` starts it under uvicorn."""
