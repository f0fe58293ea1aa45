"""The object store behind `resources.interfaces.ObjectStoreApi`: a local folder or GCS."""
