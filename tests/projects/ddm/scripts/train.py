# select: BF103 BF301 BF401
import os
import sys

sys.path.append(os.path.join(os.path.dirname(__file__), ".."))

from model.workflow import create_workflow  # noqa: E402

workflow, simulator, adapter = create_workflow()
history = workflow.fit_online(epochs=10, batch_size=32, num_batches_per_epoch=100)  # expect: BF301 BF401
