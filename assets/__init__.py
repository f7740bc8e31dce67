"""Media preparation: every photo and clip made right for each platform (file in, file out).

- :mod:`assets.presets`: what to make per platform and format (reads ``publisher.core.media_limits``)
- :mod:`assets.images`: photos with Pillow (orientation, metadata stripped, crop/pad, banner, logo)
- :mod:`assets.video`: clips with one ffmpeg filter graph each (progress, child processes reaped)
- :mod:`assets.probe`: what a file is, and whether a result meets its preset
- :mod:`assets.cache`: variants keyed by input content + preset, size-capped
- :mod:`assets.prepare`: ``prepare(path, preset_name, cache_dir)``, the worker's single entry point

Import from the modules (``from assets.prepare import prepare``); this package re-exports nothing,
so ``assets.prepare`` stays the module and importing ``assets`` loads neither Pillow nor ffmpeg code.
"""
