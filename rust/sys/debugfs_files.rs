// SPDX-License-Identifier: GPL-2.0
//! debugfs files whose `open` pins the module, created with the C API.
//!
//! Why not `kernel::debugfs`: in 7.2 its `file_operations` have no `.owner`, so a file held
//! open across `rmmod` outlives the module, and closing it later runs `full_proxy_release`
//! on freed memory (an oops, seen in the guest). With `.owner` set, debugfs's proxy takes a
//! module reference at open (`fops_get`) and drops it at release, so `rmmod` is refused while
//! any file is open, as for every C debugfs file. The raw bindings stay in this file.
//!
//! A file is a name, a `show` and a `write` function over shared data `T`. The inode's private
//! pointer is the data; its debugfs `aux` pointer is the file's [`Spec`].

use core::marker::PhantomData;
use kernel::{
    bindings,
    error::from_err_ptr,
    ffi::{
        c_char,
        c_int,
        c_void, //
    },
    fmt,
    prelude::*,
    seq_file::SeqFile,
    seq_print,
    uaccess::{
        UserPtr,
        UserSlice,
        UserSliceReader, //
    },
    ThisModule, //
};

/// Prints a file's contents.
pub(crate) type Show<T> = fn(&T, &mut fmt::Formatter<'_>) -> fmt::Result;
/// Handles one write to a file.
pub(crate) type Write<T> = fn(&T, &mut UserSliceReader) -> Result;

/// One file of the directory.
pub(crate) struct Spec<T: 'static> {
    pub(crate) name: &'static CStr,
    pub(crate) show: Show<T>,
    pub(crate) write: Write<T>,
}

/// The directory and its files; removed (after in-flight operations end) when dropped.
///
/// # Invariants
///
/// `dentry` is the directory `create` made; the data every file points to outlives `self`.
pub(crate) struct Dir<T: 'static> {
    dentry: *mut bindings::dentry,
    _fops: KBox<bindings::file_operations>,
    _data: PhantomData<*const T>,
}

// SAFETY: `Dir` only holds the dentry to remove and the operations debugfs reads; removing a
// debugfs directory is allowed from any thread.
unsafe impl<T: Sync> Send for Dir<T> {}
// SAFETY: `Dir` has no method that uses `&self`.
unsafe impl<T: Sync> Sync for Dir<T> {}

struct Adapter<'a, T: 'static>(&'a T, Show<T>);

impl<T> fmt::Display for Adapter<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (self.1)(self.0, f)
    }
}

/// The `Spec` of an open file.
///
/// # Safety
///
/// `file` was opened on a file that [`Dir::create`] made for data of type `T`.
unsafe fn spec_of<T>(file: *const bindings::file) -> &'static Spec<T> {
    // SAFETY: `create` gave every file a `&'static Spec<T>` as its aux pointer.
    unsafe { &*bindings::debugfs_get_aux(file).cast::<Spec<T>>() }
}

/// # Safety
///
/// Called by the VFS only, on an inode and file of a file that [`Dir::create`] made.
unsafe extern "C" fn open<T: Sync + 'static>(
    inode: *mut bindings::inode,
    file: *mut bindings::file,
) -> c_int {
    // SAFETY: `inode` is valid; its private pointer is the `T` that outlives the file.
    let data = unsafe { (*inode).i_private };
    // SAFETY: `file` is being opened; `show` expects the `T` as the seq_file's private data.
    unsafe { bindings::single_open(file, Some(show::<T>), data) }
}

/// # Safety
///
/// Called by `seq_read` only, on a seq_file that [`open`] set up.
unsafe extern "C" fn show<T: Sync + 'static>(
    seq: *mut bindings::seq_file,
    _v: *mut c_void,
) -> c_int {
    // SAFETY: `open` made the seq_file's private data the shared `T`, alive while the file is.
    let data = unsafe { &*(*seq).private.cast::<T>() };
    // SAFETY: the seq_file belongs to a file of ours.
    let spec = unsafe { spec_of::<T>((*seq).file) };
    // SAFETY: `seq` is valid for the length of this call and used only through `SeqFile`.
    let seq_file = unsafe { SeqFile::from_raw(seq) };
    seq_print!(seq_file, "{}", Adapter(data, spec.show));
    0
}

/// # Safety
///
/// Called by the VFS only, on a file of ours opened by [`open`], with a user buffer.
unsafe extern "C" fn write<T: Sync + 'static>(
    file: *mut bindings::file,
    buf: *const c_char,
    count: usize,
    _ppos: *mut bindings::loff_t,
) -> isize {
    // SAFETY: `single_open` made the file's private data a `seq_file`, whose private data is
    // the shared `T`.
    let data = unsafe {
        &*(*(*file).private_data.cast::<bindings::seq_file>())
            .private
            .cast::<T>()
    };
    // SAFETY: the file is ours.
    let spec = unsafe { spec_of::<T>(file) };
    let mut reader = UserSlice::new(UserPtr::from_ptr(buf.cast_mut().cast()), count).reader();
    match (spec.write)(data, &mut reader) {
        Ok(()) => count as isize,
        Err(e) => e.to_errno() as isize,
    }
}

impl<T: Sync + 'static> Dir<T> {
    /// Creates `/sys/kernel/debug/<name>/` with one 0600 file per spec.
    ///
    /// # Safety
    ///
    /// `data` must outlive the returned `Dir` (drop the `Dir` first).
    pub(crate) unsafe fn create(
        module: &'static ThisModule,
        name: &'static CStr,
        data: &T,
        specs: &'static [Spec<T>],
    ) -> Result<Self> {
        let fops = KBox::new(
            bindings::file_operations {
                owner: module.as_ptr(),
                open: Some(open::<T>),
                read: Some(bindings::seq_read),
                write: Some(write::<T>),
                llseek: Some(bindings::seq_lseek),
                release: Some(bindings::single_release),
                ..pin_init::zeroed()
            },
            GFP_KERNEL,
        )?;
        // SAFETY: `name` is NUL-terminated; a NULL parent means the debugfs root.
        let dentry = from_err_ptr(unsafe {
            bindings::debugfs_create_dir(name.as_char_ptr(), core::ptr::null_mut())
        })?;
        // INVARIANT: `dentry` is the directory just made; `data` outlives `dir` (the caller's
        // contract).
        let dir = Self {
            dentry,
            _fops: fops,
            _data: PhantomData,
        };
        for spec in specs {
            // SAFETY: every pointer is valid for as long as the file exists: `dir` removes the
            // files before `fops` is freed, `data` outlives `dir` (caller), `spec` is static.
            from_err_ptr(unsafe {
                bindings::debugfs_create_file_full(
                    spec.name.as_char_ptr(),
                    0o600,
                    dentry,
                    core::ptr::from_ref(data).cast_mut().cast(),
                    core::ptr::from_ref(spec).cast(),
                    &raw const *dir._fops,
                )
            })?;
        }
        Ok(dir)
    }
}

impl<T: 'static> Drop for Dir<T> {
    fn drop(&mut self) {
        // SAFETY: `dentry` is our directory; removal waits until no operation on its files is
        // in progress, and later opens fail, so nothing reaches `data` or `fops` afterwards.
        unsafe { bindings::debugfs_remove(self.dentry) };
    }
}
