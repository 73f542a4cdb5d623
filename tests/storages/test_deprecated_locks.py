import pytest

import tftune.storages as storages
from tftune.storages import journal


@pytest.mark.parametrize("name", ["JournalFileOpenLock", "JournalFileSymlinkLock"])
def test_the_old_import_path_warns_and_still_locks(tmp_path, name):
    old = getattr(storages, name)
    path = str(tmp_path / "journal.log")
    with pytest.warns(FutureWarning, match=rf"tftune\.storages\.{name} is deprecated.*journal"):
        lock = old(path)
    assert isinstance(lock, getattr(journal, name))
    assert lock.acquire()
    lock.release()


@pytest.mark.parametrize("name", ["JournalFileOpenLock", "JournalFileSymlinkLock"])
def test_the_journal_module_path_does_not_warn(tmp_path, recwarn, name):
    getattr(journal, name)(str(tmp_path / "journal.log"))
    assert not [w for w in recwarn if issubclass(w.category, FutureWarning)]
