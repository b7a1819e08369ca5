"""The timing both image-tower peers share: one warm-up pass, then timed
batches, reported as the JSON object `loupe bench clip` reads."""
import json
import resource
import time

import torch


def time_and_report(run, pixels, batches, implementation):
    """Runs `run(pixels)` once to warm up and `batches` times timed; prints
    images/s over all batches, the best batch's, and the peak memory."""
    with torch.inference_mode():
        run(pixels)  # warm-up
        times = []
        for _ in range(batches):
            start = time.perf_counter()
            run(pixels)
            times.append(time.perf_counter() - start)
    batch = pixels.shape[0]
    print(json.dumps({
        "implementation": implementation,
        "batch": batch, "batches": batches, "threads": torch.get_num_threads(),
        "images_per_s": round(batch * batches / sum(times), 2),
        "best_images_per_s": round(batch / min(times), 2),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }))
