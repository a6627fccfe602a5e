# Replaces PyInstaller's own hook for PySide6.QtGui (hooks in --additional-hooks-dir win) to
# leave out the Qt plugins a desktop tray never loads. Each of them drags in libraries of its
# own, and PyInstaller follows a collected plugin's libraries: the virtual keyboard brings
# QtQuick and QML (~20 MB), the GTK 3 platform theme the whole GTK stack of the build machine,
# the EGLFS/VNC/linuxfb platforms and the evdev/TUIO input plugins are for kiosks and
# embedded screens. Kept: xcb, wayland, offscreen (tests) and minimal platforms, the XDG
# desktop-portal theme, compose/ibus input, icon engines and image formats.
from PyInstaller.utils.hooks.qt import add_qt6_dependencies

UNUSED = (
    "platforminputcontexts/libqtvirtualkeyboardplugin",
    "platformthemes/libqgtk3",
    "egldeviceintegrations/",
    "platforms/libqeglfs",
    "platforms/libqvnc",
    "platforms/libqlinuxfb",
    "platforms/libqminimalegl",
    "platforms/libqvkkhrdisplay",
    "generic/",
)

hiddenimports, binaries, datas = add_qt6_dependencies(__file__)
binaries = [(src, dest) for src, dest in binaries if not any(part in src.replace("\\", "/") for part in UNUSED)]
