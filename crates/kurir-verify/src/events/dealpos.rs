//! DealPOS's event types as Rust types, one per catalog type.
//!
//! Generated from `catalog/dealpos/*.json` by `crates/kurir-verify/tests/generated_events.rs`; do not edit by hand.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::NumberOrText;

/// A part of [`AdjustmentCreated`].
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct AdjustmentCreatedAdjustedInventoryItem {
    /// Code of the product variant adjusted
    #[serde(rename = "Code")]
    pub code: String,
    /// Original Price of the prod… (truncated in source)
    #[serde(rename = "Price")]
    pub price: f64,
    /// Quantity of the product variant adjusted
    #[serde(rename = "Quantity")]
    pub quantity: f64,
    /// Unit buying cost of the product variant adjusted
    #[serde(rename = "UnitCost")]
    pub unit_cost: f64,
    /// Unit selling price of the product variant adjusted
    #[serde(rename = "UnitPrice")]
    pub unit_price: f64,
    /// Name of the product variant adjusted
    #[serde(rename = "Variant")]
    pub variant: String,
    /// Variant ID of the product variant adjusted
    #[serde(rename = "VariantID")]
    pub variant_id: String,
}

/// `adjustmentCreated`: Adjustment Created.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct AdjustmentCreated {
    /// non-empty, unique items
    #[serde(rename = "AdjustedInventory")]
    pub adjusted_inventory: Vec<AdjustmentCreatedAdjustedInventoryItem>,
    /// Unique Creator ID of the adjustment
    #[serde(rename = "CreatorID")]
    pub creator_id: Option<String>,
    /// Date of the Adjustment made
    #[serde(rename = "Date")]
    pub date: String,
    /// Unique id of the Adjustment
    #[serde(rename = "ID")]
    pub id: String,
    /// Note of the Adjustment
    #[serde(rename = "Note")]
    pub note: String,
    /// Number of the Adjustment
    #[serde(rename = "Number")]
    pub number: String,
    /// Origin Outlet of the Adjustment
    #[serde(rename = "Outlet")]
    pub outlet: String,
    /// Person in charge of the adjustment
    #[serde(rename = "PIC")]
    pub pic: Option<String>,
    /// Adjustment progress / state
    #[serde(rename = "State")]
    pub state: String,
    /// Type of the Adjustment
    #[serde(rename = "Type")]
    pub r#type: String,
}

/// A part of [`CloseShift`].
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct CloseShiftSession {
    #[serde(rename = "ARAmount")]
    pub ar_amount: Option<f64>,
    #[serde(rename = "ARTransaction")]
    pub ar_transaction: Option<f64>,
    #[serde(rename = "Bin")]
    pub bin: Option<bool>,
    #[serde(rename = "Created")]
    pub created: Option<String>,
    #[serde(rename = "CreatorID")]
    pub creator_id: Option<String>,
    #[serde(rename = "CreatorName")]
    pub creator_name: Option<String>,
    #[serde(rename = "End")]
    pub end: Option<String>,
    #[serde(rename = "EntityID")]
    pub entity_id: Option<String>,
    #[serde(rename = "ID")]
    pub id: Option<String>,
    #[serde(rename = "InvoiceDateTypeID")]
    pub invoice_date_type_id: Option<i64>,
    #[serde(rename = "Invoice_Count")]
    pub invoice_count: Option<i64>,
    #[serde(rename = "LastNumber")]
    pub last_number: Option<String>,
    #[serde(rename = "Modified")]
    pub modified: Option<String>,
    #[serde(rename = "ModifierID")]
    pub modifier_id: Option<String>,
    #[serde(rename = "ModifierName")]
    pub modifier_name: Option<String>,
    #[serde(rename = "Note")]
    pub note: Option<String>,
    #[serde(rename = "Number")]
    pub number: Option<String>,
    #[serde(rename = "RegisterID")]
    pub register_id: Option<String>,
    #[serde(rename = "RegisterName")]
    pub register_name: Option<String>,
    #[serde(rename = "Sales")]
    pub sales: Option<f64>,
    #[serde(rename = "SalesNSurcharge")]
    pub sales_n_surcharge: Option<f64>,
    #[serde(rename = "Start")]
    pub start: Option<String>,
    #[serde(rename = "Surcharge")]
    pub surcharge: Option<f64>,
    #[serde(rename = "Tax")]
    pub tax: Option<f64>,
    #[serde(rename = "TaxExempt")]
    pub tax_exempt: Option<f64>,
    #[serde(rename = "Taxable")]
    pub taxable: Option<f64>,
    #[serde(rename = "TypeLabel")]
    pub type_label: Option<String>,
    #[serde(rename = "UserID")]
    pub user_id: Option<String>,
    #[serde(rename = "UserName")]
    pub user_name: Option<String>,
    #[serde(rename = "Visitors")]
    pub visitors: Option<i64>,
}

/// `closeShift`: Close Shift.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct CloseShift {
    #[serde(rename = "Cashier")]
    pub cashier: String,
    #[serde(rename = "Close")]
    pub close: String,
    #[serde(rename = "ID")]
    pub id: String,
    #[serde(rename = "Number")]
    pub number: String,
    #[serde(rename = "Open")]
    pub open: String,
    #[serde(rename = "Outlet")]
    pub outlet: String,
    #[serde(rename = "Register")]
    pub register: String,
    #[serde(rename = "SalesNTax")]
    pub sales_n_tax: f64,
    #[serde(rename = "Session")]
    pub session: CloseShiftSession,
    #[serde(rename = "TotalInvoice")]
    pub total_invoice: i64,
    #[serde(rename = "Visitor")]
    pub visitor: i64,
}

/// `customerCreated`: Customer Created.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct CustomerCreated {
    /// Address of the Customer
    #[serde(rename = "Address")]
    pub address: String,
    /// Birthdate of the Customer
    #[serde(rename = "Birthdate")]
    pub birthdate: String,
    /// City of the Customer
    #[serde(rename = "City")]
    pub city: String,
    /// Unique code of the Customer (an older doc render types this as number)
    #[serde(rename = "Code")]
    pub code: NumberOrText,
    /// Email of the Customer
    #[serde(rename = "Email")]
    pub email: String,
    /// First Name of the Customer
    #[serde(rename = "FirstName")]
    pub first_name: String,
    /// Gender of the Customer
    #[serde(rename = "Gender")]
    pub gender: f64,
    /// Last Name of the Customer
    #[serde(rename = "LastName")]
    pub last_name: String,
    /// Customer Identification Number
    #[serde(rename = "MemberIdentification")]
    pub member_identification: String,
    /// Mobile Phone number of the Customer
    #[serde(rename = "Mobile")]
    pub mobile: String,
    /// Name of the Customer
    #[serde(rename = "Name")]
    pub name: String,
    /// Outlet origin of the Customer
    #[serde(rename = "Outlet")]
    pub outlet: String,
    /// Phone Number of the Customer
    #[serde(rename = "Phone")]
    pub phone: String,
    /// Title of the Customer
    #[serde(rename = "Title")]
    pub title: String,
}

/// `customerDeleted`: Customer Deleted.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct CustomerDeleted {
    /// Address of the Customer
    #[serde(rename = "Address")]
    pub address: String,
    /// Birthdate of the Customer
    #[serde(rename = "Birthdate")]
    pub birthdate: String,
    /// City of the Customer
    #[serde(rename = "City")]
    pub city: String,
    /// Unique code of the Customer (an older doc render types this as number)
    #[serde(rename = "Code")]
    pub code: NumberOrText,
    /// Email of the Customer
    #[serde(rename = "Email")]
    pub email: String,
    /// First Name of the Customer
    #[serde(rename = "FirstName")]
    pub first_name: String,
    /// Gender of the Customer
    #[serde(rename = "Gender")]
    pub gender: f64,
    /// Last Name of the Customer
    #[serde(rename = "LastName")]
    pub last_name: String,
    /// Customer Identification Number
    #[serde(rename = "MemberIdentification")]
    pub member_identification: String,
    /// Mobile Phone number of the Customer
    #[serde(rename = "Mobile")]
    pub mobile: String,
    /// Name of the Customer
    #[serde(rename = "Name")]
    pub name: String,
    /// Outlet origin of the Customer
    #[serde(rename = "Outlet")]
    pub outlet: String,
    /// Phone Number of the Customer
    #[serde(rename = "Phone")]
    pub phone: String,
    /// Title of the Customer
    #[serde(rename = "Title")]
    pub title: String,
}

/// A part of [`InboundLogisticComplete`].
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct InboundLogisticCompleteSupplier {
    /// Address of the supplier
    #[serde(rename = "Address")]
    pub address: String,
    /// Member Code of the supplier
    #[serde(rename = "Code")]
    pub code: String,
    /// Email of the supplier
    #[serde(rename = "Email")]
    pub email: String,
    /// First Name of the supplier
    #[serde(rename = "FirstName")]
    pub first_name: String,
    /// Gender of the supplier
    #[serde(rename = "Gender")]
    pub gender: String,
    /// Last Name of the supplier
    #[serde(rename = "LastName")]
    pub last_name: String,
    /// Name of the supplier
    #[serde(rename = "Name")]
    pub name: String,
    /// Phone number of the supplier
    #[serde(rename = "Phone")]
    pub phone: String,
    /// Title on behalf of the supplier
    #[serde(rename = "Title")]
    pub title: Option<String>,
}

/// A part of [`InboundLogisticComplete`].
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct InboundLogisticCompleteVariant {
    /// Code of the product variant
    #[serde(rename = "Code")]
    pub code: String,
    /// Name of the product variant
    #[serde(rename = "Name")]
    pub name: String,
    /// Unique ID of the variant
    #[serde(rename = "VariantID")]
    pub variant_id: String,
}

/// `inboundLogisticComplete`: Inbound Logistic Complete.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct InboundLogisticComplete {
    /// Created date of the supplier delivery
    #[serde(rename = "Created")]
    pub created: String,
    /// Unique creator ID of the supplier delivery
    #[serde(rename = "CreatorID")]
    pub creator_id: String,
    /// Date of the supplier delivery
    #[serde(rename = "Date")]
    pub date: String,
    /// Origin Number of the supplier delivery
    #[serde(rename = "Number")]
    pub number: String,
    /// Origin outlet of the supplier delivery
    #[serde(rename = "Outlet")]
    pub outlet: String,
    #[serde(rename = "Supplier")]
    pub supplier: InboundLogisticCompleteSupplier,
    /// non-empty, unique items
    #[serde(rename = "Variants")]
    pub variants: Vec<InboundLogisticCompleteVariant>,
}

/// A part of [`InvoiceCreated`].
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct InvoiceCreatedCustomer {
    /// Customer's address
    #[serde(rename = "Address")]
    pub address: Option<String>,
    /// Unique Code of the customer
    #[serde(rename = "Code")]
    pub code: Option<String>,
    /// E-mail of the customer
    #[serde(rename = "Email")]
    pub email: Option<String>,
    /// Unique ID of the customer
    #[serde(rename = "ID")]
    pub id: Option<String>,
    /// Mobile Phone Number of the customer
    #[serde(rename = "Mobile")]
    pub mobile: Option<String>,
    /// Name of the customer
    #[serde(rename = "Name")]
    pub name: Option<String>,
    /// Phone number of the customer
    #[serde(rename = "Phone")]
    pub phone: Option<String>,
}

/// `invoiceCreated`: Invoice Created.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct InvoiceCreated {
    /// Coupon code used, if any
    #[serde(rename = "Coupon")]
    pub coupon: Option<String>,
    /// Additional note for the coupon
    #[serde(rename = "CouponNote")]
    pub coupon_note: Option<String>,
    /// Date when the invoice was created
    #[serde(rename = "Created")]
    pub created: Option<String>,
    /// ID of the creator of the invoice
    #[serde(rename = "CreatorID")]
    pub creator_id: Option<String>,
    #[serde(rename = "Customer")]
    pub customer: Option<InvoiceCreatedCustomer>,
    /// Date of the invoice transaction
    #[serde(rename = "Date")]
    pub date: Option<String>,
    /// Delivery status (Sent, Unsent, etc.)
    #[serde(rename = "Delivery")]
    pub delivery: Option<String>,
    /// Percentage of discount 1
    #[serde(rename = "Discount1")]
    pub discount1: Option<i64>,
    /// Percentage of discount 2
    #[serde(rename = "Discount2")]
    pub discount2: Option<i64>,
    /// Discount amount applied
    #[serde(rename = "DiscountAmount")]
    pub discount_amount: Option<i64>,
    /// Total discount applied
    #[serde(rename = "DiscountTotal")]
    pub discount_total: Option<i64>,
    /// Due date of the invoice transaction
    #[serde(rename = "DueDate")]
    pub due_date: Option<String>,
    /// Total amount before discounts
    #[serde(rename = "Gross")]
    pub gross: Option<i64>,
    /// Unique ID of the invoice
    #[serde(rename = "ID")]
    pub id: Option<String>,
    /// Additional note for the invoice
    #[serde(rename = "Note")]
    pub note: Option<String>,
    /// Number of the invoice transaction
    #[serde(rename = "Number")]
    pub number: Option<String>,
    /// sub-fields not retrieved
    #[serde(rename = "OrderFulfillmentRecipient")]
    pub order_fulfillment_recipient: Option<serde_json::Map<String, Value>>,
    /// item schema not retrieved
    #[serde(rename = "OutboundLogistics")]
    pub outbound_logistics: Option<Vec<serde_json::Map<String, Value>>>,
    /// Name of the outlet
    #[serde(rename = "Outlet")]
    pub outlet: Option<String>,
    /// item schema not retrieved
    #[serde(rename = "Payments")]
    pub payments: Option<Vec<serde_json::Map<String, Value>>>,
    /// Total loyalty points used
    #[serde(rename = "PointUsed")]
    pub point_used: Option<i64>,
    /// Total loyalty points earned
    #[serde(rename = "PointsEarned")]
    pub points_earned: Option<i64>,
    /// Reference number for the invoice
    #[serde(rename = "ReferenceNumber")]
    pub reference_number: Option<String>,
    /// Total sales after discounts
    #[serde(rename = "Sales")]
    pub sales: Option<i64>,
    /// Sales total after tax
    #[serde(rename = "SalesNTax")]
    pub sales_n_tax: Option<i64>,
    /// Additional surcharge (e.g., credit card fee)
    #[serde(rename = "Surcharge")]
    pub surcharge: Option<i64>,
    /// Channel Tagging system (e.g., Take Away, Shopee)
    #[serde(rename = "Tag")]
    pub tag: Option<String>,
    /// Total tax applied
    #[serde(rename = "Tax")]
    pub tax: Option<i64>,
    /// Tax calculation method (e.g., Add or Include)
    #[serde(rename = "TaxCalculation")]
    pub tax_calculation: Option<String>,
    /// Tax rate in percentage
    #[serde(rename = "TaxRate")]
    pub tax_rate: Option<i64>,
    /// Type of tax (e.g., No Tax)
    #[serde(rename = "TaxType")]
    pub tax_type: Option<String>,
    /// item schema not retrieved
    #[serde(rename = "Variants")]
    pub variants: Option<Vec<serde_json::Map<String, Value>>>,
    /// Whether the invoice is voided (Yes/No)
    #[serde(rename = "Void")]
    pub void: Option<String>,
}

/// `invoiceDeleted`: Invoice Deleted.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct InvoiceDeleted {}

/// `invoiceErased`: Invoice Erased.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct InvoiceErased {}

/// A part of [`OutboundLogisticComplete`].
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct OutboundLogisticCompleteCustomer {
    /// Address of the customer
    #[serde(rename = "Address")]
    pub address: String,
    /// Member Code of the customer
    #[serde(rename = "Code")]
    pub code: String,
    /// Email of the customer
    #[serde(rename = "Email")]
    pub email: String,
    /// First Name of the customer
    #[serde(rename = "FirstName")]
    pub first_name: String,
    /// Gender of the customer
    #[serde(rename = "Gender")]
    pub gender: String,
    /// Last Name of the customer
    #[serde(rename = "LastName")]
    pub last_name: String,
    /// Name of the customer
    #[serde(rename = "Name")]
    pub name: String,
    /// Phone number of the customer
    #[serde(rename = "Phone")]
    pub phone: String,
    /// Title on behalf of the customer
    #[serde(rename = "Title")]
    pub title: Option<String>,
}

/// A part of [`OutboundLogisticComplete`].
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct OutboundLogisticCompleteVariant {
    /// Code of the product variant
    #[serde(rename = "Code")]
    pub code: String,
    /// Name of the product variant
    #[serde(rename = "Name")]
    pub name: String,
    /// Unique ID of the variant
    #[serde(rename = "VariantID")]
    pub variant_id: String,
}

/// `outboundLogisticComplete`: Outbound Logistic Complete.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct OutboundLogisticComplete {
    /// Created date of the customer delivery
    #[serde(rename = "Created")]
    pub created: String,
    /// Unique creator ID of the customer delivery
    #[serde(rename = "CreatorID")]
    pub creator_id: String,
    #[serde(rename = "Customer")]
    pub customer: OutboundLogisticCompleteCustomer,
    /// Date of the customer delivery
    #[serde(rename = "Date")]
    pub date: String,
    /// ID of Outbound Logistic
    #[serde(rename = "ID")]
    pub id: Option<String>,
    /// Origin Number of the customer delivery
    #[serde(rename = "Number")]
    pub number: String,
    /// Origin outlet of the customer delivery
    #[serde(rename = "Outlet")]
    pub outlet: String,
    /// non-empty, unique items
    #[serde(rename = "Variants")]
    pub variants: Vec<OutboundLogisticCompleteVariant>,
}

/// `paymentCreated`: Payment Created.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct PaymentCreated {
    /// Total amount of the payment
    #[serde(rename = "Amount")]
    pub amount: f64,
    /// Created date of the payment
    #[serde(rename = "Created")]
    pub created: String,
    /// Name of person who created the payment
    #[serde(rename = "Creator")]
    pub creator: String,
    /// Unique ID of the person who created the payment (non-empty if present)
    #[serde(rename = "CreatorID")]
    pub creator_id: Option<String>,
    /// Date of the payment made
    #[serde(rename = "Date")]
    pub date: String,
    /// Unique ID of the payment (non-empty)
    #[serde(rename = "ID")]
    pub id: String,
    /// Unique invoice ID of the payment (non-empty)
    #[serde(rename = "InvoiceID")]
    pub invoice_id: String,
    /// Type/method of the payment
    #[serde(rename = "Method")]
    pub method: String,
    /// Number of the transaction
    #[serde(rename = "Number")]
    pub number: String,
    /// Origin outlet of the payment
    #[serde(rename = "Outlet")]
    pub outlet: String,
}

/// `paymentDeleted`: Payment Deleted.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct PaymentDeleted {
    /// Total amount of the payment
    #[serde(rename = "Amount")]
    pub amount: f64,
    /// Created date of the payment
    #[serde(rename = "Created")]
    pub created: String,
    /// Name of person who created the payment
    #[serde(rename = "Creator")]
    pub creator: String,
    /// Unique ID of the person who created the payment (non-empty if present)
    #[serde(rename = "CreatorID")]
    pub creator_id: Option<String>,
    /// Date of the payment made
    #[serde(rename = "Date")]
    pub date: String,
    /// Unique ID of the payment (non-empty)
    #[serde(rename = "ID")]
    pub id: String,
    /// Unique invoice ID of the payment (non-empty)
    #[serde(rename = "InvoiceID")]
    pub invoice_id: String,
    /// Type/method of the payment
    #[serde(rename = "Method")]
    pub method: String,
    /// Number of the transaction
    #[serde(rename = "Number")]
    pub number: String,
    /// Origin outlet of the payment
    #[serde(rename = "Outlet")]
    pub outlet: String,
}

/// `paymentUpdated`: Payment Updated.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct PaymentUpdated {
    /// Total amount of the payment
    #[serde(rename = "Amount")]
    pub amount: f64,
    /// Created date of the payment
    #[serde(rename = "Created")]
    pub created: String,
    /// Name of person who created the payment
    #[serde(rename = "Creator")]
    pub creator: String,
    /// Unique ID of the person who created the payment (non-empty if present)
    #[serde(rename = "CreatorID")]
    pub creator_id: Option<String>,
    /// Date of the payment made
    #[serde(rename = "Date")]
    pub date: String,
    /// Unique ID of the payment (non-empty)
    #[serde(rename = "ID")]
    pub id: String,
    /// Unique invoice ID of the payment (non-empty)
    #[serde(rename = "InvoiceID")]
    pub invoice_id: String,
    /// Type/method of the payment
    #[serde(rename = "Method")]
    pub method: String,
    /// Number of the transaction
    #[serde(rename = "Number")]
    pub number: String,
    /// Origin outlet of the payment
    #[serde(rename = "Outlet")]
    pub outlet: String,
}

/// `paymentWriteoff`: Payment Write Off.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct PaymentWriteoff {
    /// Total amount of the payment
    #[serde(rename = "Amount")]
    pub amount: f64,
    /// Created date of the payment
    #[serde(rename = "Created")]
    pub created: String,
    /// Name of person who created the payment
    #[serde(rename = "Creator")]
    pub creator: String,
    /// Unique ID of the person who created the payment (non-empty if present)
    #[serde(rename = "CreatorID")]
    pub creator_id: Option<String>,
    /// Date of the payment made
    #[serde(rename = "Date")]
    pub date: String,
    /// Unique ID of the payment (non-empty)
    #[serde(rename = "ID")]
    pub id: String,
    /// Unique invoice ID of the payment (non-empty)
    #[serde(rename = "InvoiceID")]
    pub invoice_id: String,
    /// Type/method of the payment
    #[serde(rename = "Method")]
    pub method: String,
    /// Number of the transaction
    #[serde(rename = "Number")]
    pub number: String,
    /// Origin outlet of the payment
    #[serde(rename = "Outlet")]
    pub outlet: String,
    /// seen only in the example (inferred field); meaning undocumented — plausibly the write-off reason/tag ID
    #[serde(rename = "TagID")]
    pub tag_id: Option<String>,
}

/// A part of [`ProductCreated`].
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct ProductCreatedVariantComponent {
    /// Code of the component.
    #[serde(rename = "Code")]
    pub code: Option<String>,
    /// Name of the component.
    #[serde(rename = "Name")]
    pub name: Option<String>,
    /// Quantity of the component.
    #[serde(rename = "Qty")]
    pub qty: Option<i64>,
}

/// A part of [`ProductCreated`].
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct ProductCreatedVariantOutletPriceItem {
    /// Additional cost applied at the outlet.
    #[serde(rename = "ExtraCost")]
    pub extra_cost: Option<f64>,
    /// Name of the outlet.
    #[serde(rename = "Outlet")]
    pub outlet: Option<String>,
    /// Price of the variant at the specified outlet.
    #[serde(rename = "Price")]
    pub price: Option<f64>,
}

/// A part of [`ProductCreated`].
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct ProductCreatedVariant {
    /// The category associated with the product.
    #[serde(rename = "Category")]
    pub category: Option<String>,
    /// Unique code for the variant.
    #[serde(rename = "Code")]
    pub code: Option<String>,
    #[serde(rename = "Components")]
    pub components: Option<Vec<ProductCreatedVariantComponent>>,
    /// Indicates if the variant is discontinued.
    #[serde(rename = "Discontinued")]
    pub discontinued: Option<bool>,
    /// Unique identifier of the variant.
    #[serde(rename = "ID")]
    pub id: Option<String>,
    /// Indicates if the variant provides loyalty points.
    #[serde(rename = "LoyaltyPoint")]
    pub loyalty_point: Option<bool>,
    /// Full name of the product variant.
    #[serde(rename = "Name")]
    pub name: Option<String>,
    /// Price used for orders.
    #[serde(rename = "OrderPrice")]
    pub order_price: Option<f64>,
    #[serde(rename = "OutletPrice")]
    pub outlet_price: Option<Vec<ProductCreatedVariantOutletPriceItem>>,
    /// Name of the product.
    #[serde(rename = "Product")]
    pub product: Option<String>,
    /// Indicates if the variant is taxable.
    #[serde(rename = "Taxable")]
    pub taxable: Option<bool>,
    /// Type of the product variant (e.g., Standard).
    #[serde(rename = "Type")]
    pub r#type: Option<String>,
    /// Cost of the variant.
    #[serde(rename = "UnitCost")]
    pub unit_cost: Option<f64>,
    /// Selling price of the variant.
    #[serde(rename = "UnitPrice")]
    pub unit_price: Option<f64>,
    /// The variant type or size.
    #[serde(rename = "Variant")]
    pub variant: Option<String>,
    /// Weight of the variant.
    #[serde(rename = "Weight")]
    pub weight: Option<f64>,
}

/// `productCreated`: Product Created.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct ProductCreated {
    #[serde(rename = "Brand")]
    pub brand: Option<String>,
    #[serde(rename = "BrandName")]
    pub brand_name: Option<String>,
    #[serde(rename = "Category")]
    pub category: Option<String>,
    #[serde(rename = "Code")]
    pub code: Option<String>,
    #[serde(rename = "Description")]
    pub description: Option<String>,
    #[serde(rename = "Discontinued")]
    pub discontinued: Option<bool>,
    #[serde(rename = "ExtraImageURL")]
    pub extra_image_url: Option<Vec<String>>,
    #[serde(rename = "ID")]
    pub id: Option<String>,
    #[serde(rename = "ImageURL")]
    pub image_url: Option<String>,
    #[serde(rename = "Name")]
    pub name: Option<String>,
    /// item schema not documented
    #[serde(rename = "Storage")]
    pub storage: Option<Vec<serde_json::Map<String, Value>>>,
    #[serde(rename = "SupplierName")]
    pub supplier_name: Option<String>,
    #[serde(rename = "Tags")]
    pub tags: Option<Vec<String>>,
    #[serde(rename = "ThumbnailURL")]
    pub thumbnail_url: Option<String>,
    #[serde(rename = "Variants")]
    pub variants: Option<Vec<ProductCreatedVariant>>,
}

/// A part of [`ProductDeleted`].
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct ProductDeletedVariantComponent {
    /// Code of the component.
    #[serde(rename = "Code")]
    pub code: Option<String>,
    /// Name of the component.
    #[serde(rename = "Name")]
    pub name: Option<String>,
    /// Quantity of the component.
    #[serde(rename = "Qty")]
    pub qty: Option<i64>,
}

/// A part of [`ProductDeleted`].
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct ProductDeletedVariantOutletPriceItem {
    /// Additional cost applied at the outlet.
    #[serde(rename = "ExtraCost")]
    pub extra_cost: Option<f64>,
    /// Name of the outlet.
    #[serde(rename = "Outlet")]
    pub outlet: Option<String>,
    /// Price of the variant at the specified outlet.
    #[serde(rename = "Price")]
    pub price: Option<f64>,
}

/// A part of [`ProductDeleted`].
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct ProductDeletedVariant {
    /// The category associated with the product.
    #[serde(rename = "Category")]
    pub category: Option<String>,
    /// Unique code for the variant.
    #[serde(rename = "Code")]
    pub code: Option<String>,
    #[serde(rename = "Components")]
    pub components: Option<Vec<ProductDeletedVariantComponent>>,
    /// Indicates if the variant is discontinued.
    #[serde(rename = "Discontinued")]
    pub discontinued: Option<bool>,
    /// Unique identifier of the variant.
    #[serde(rename = "ID")]
    pub id: Option<String>,
    /// Indicates if the variant provides loyalty points.
    #[serde(rename = "LoyaltyPoint")]
    pub loyalty_point: Option<bool>,
    /// Full name of the product variant.
    #[serde(rename = "Name")]
    pub name: Option<String>,
    /// Price used for orders.
    #[serde(rename = "OrderPrice")]
    pub order_price: Option<f64>,
    #[serde(rename = "OutletPrice")]
    pub outlet_price: Option<Vec<ProductDeletedVariantOutletPriceItem>>,
    /// Name of the product.
    #[serde(rename = "Product")]
    pub product: Option<String>,
    /// Indicates if the variant is taxable.
    #[serde(rename = "Taxable")]
    pub taxable: Option<bool>,
    /// Type of the product variant (e.g., Standard).
    #[serde(rename = "Type")]
    pub r#type: Option<String>,
    /// Cost of the variant.
    #[serde(rename = "UnitCost")]
    pub unit_cost: Option<f64>,
    /// Selling price of the variant.
    #[serde(rename = "UnitPrice")]
    pub unit_price: Option<f64>,
    /// The variant type or size.
    #[serde(rename = "Variant")]
    pub variant: Option<String>,
    /// Weight of the variant.
    #[serde(rename = "Weight")]
    pub weight: Option<f64>,
}

/// `productDeleted`: Product Deleted.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct ProductDeleted {
    #[serde(rename = "Brand")]
    pub brand: Option<String>,
    #[serde(rename = "BrandName")]
    pub brand_name: Option<String>,
    #[serde(rename = "Category")]
    pub category: Option<String>,
    #[serde(rename = "Code")]
    pub code: Option<String>,
    #[serde(rename = "Description")]
    pub description: Option<String>,
    #[serde(rename = "Discontinued")]
    pub discontinued: Option<bool>,
    #[serde(rename = "ExtraImageURL")]
    pub extra_image_url: Option<Vec<String>>,
    #[serde(rename = "ID")]
    pub id: Option<String>,
    #[serde(rename = "ImageURL")]
    pub image_url: Option<String>,
    #[serde(rename = "Name")]
    pub name: Option<String>,
    /// item schema not documented
    #[serde(rename = "Storage")]
    pub storage: Option<Vec<serde_json::Map<String, Value>>>,
    #[serde(rename = "SupplierName")]
    pub supplier_name: Option<String>,
    #[serde(rename = "Tags")]
    pub tags: Option<Vec<String>>,
    #[serde(rename = "ThumbnailURL")]
    pub thumbnail_url: Option<String>,
    #[serde(rename = "Variants")]
    pub variants: Option<Vec<ProductDeletedVariant>>,
}

/// A part of [`ProductUpdated`].
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct ProductUpdatedVariantComponent {
    /// Code of the component.
    #[serde(rename = "Code")]
    pub code: Option<String>,
    /// Name of the component.
    #[serde(rename = "Name")]
    pub name: Option<String>,
    /// Quantity of the component.
    #[serde(rename = "Qty")]
    pub qty: Option<i64>,
}

/// A part of [`ProductUpdated`].
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct ProductUpdatedVariantOutletPriceItem {
    /// Additional cost applied at the outlet.
    #[serde(rename = "ExtraCost")]
    pub extra_cost: Option<f64>,
    /// Name of the outlet.
    #[serde(rename = "Outlet")]
    pub outlet: Option<String>,
    /// Price of the variant at the specified outlet.
    #[serde(rename = "Price")]
    pub price: Option<f64>,
}

/// A part of [`ProductUpdated`].
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct ProductUpdatedVariant {
    /// The category associated with the product.
    #[serde(rename = "Category")]
    pub category: Option<String>,
    /// Unique code for the variant.
    #[serde(rename = "Code")]
    pub code: Option<String>,
    #[serde(rename = "Components")]
    pub components: Option<Vec<ProductUpdatedVariantComponent>>,
    /// Indicates if the variant is discontinued.
    #[serde(rename = "Discontinued")]
    pub discontinued: Option<bool>,
    /// Unique identifier of the variant.
    #[serde(rename = "ID")]
    pub id: Option<String>,
    /// Indicates if the variant provides loyalty points.
    #[serde(rename = "LoyaltyPoint")]
    pub loyalty_point: Option<bool>,
    /// Full name of the product variant.
    #[serde(rename = "Name")]
    pub name: Option<String>,
    /// Price used for orders.
    #[serde(rename = "OrderPrice")]
    pub order_price: Option<f64>,
    #[serde(rename = "OutletPrice")]
    pub outlet_price: Option<Vec<ProductUpdatedVariantOutletPriceItem>>,
    /// Name of the product.
    #[serde(rename = "Product")]
    pub product: Option<String>,
    /// Indicates if the variant is taxable.
    #[serde(rename = "Taxable")]
    pub taxable: Option<bool>,
    /// Type of the product variant (e.g., Standard).
    #[serde(rename = "Type")]
    pub r#type: Option<String>,
    /// Cost of the variant.
    #[serde(rename = "UnitCost")]
    pub unit_cost: Option<f64>,
    /// Selling price of the variant.
    #[serde(rename = "UnitPrice")]
    pub unit_price: Option<f64>,
    /// The variant type or size.
    #[serde(rename = "Variant")]
    pub variant: Option<String>,
    /// Weight of the variant.
    #[serde(rename = "Weight")]
    pub weight: Option<f64>,
}

/// `productUpdated`: Product Updated.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct ProductUpdated {
    #[serde(rename = "Brand")]
    pub brand: Option<String>,
    #[serde(rename = "BrandName")]
    pub brand_name: Option<String>,
    #[serde(rename = "Category")]
    pub category: Option<String>,
    #[serde(rename = "Code")]
    pub code: Option<String>,
    #[serde(rename = "Description")]
    pub description: Option<String>,
    #[serde(rename = "Discontinued")]
    pub discontinued: Option<bool>,
    #[serde(rename = "ExtraImageURL")]
    pub extra_image_url: Option<Vec<String>>,
    #[serde(rename = "ID")]
    pub id: Option<String>,
    #[serde(rename = "ImageURL")]
    pub image_url: Option<String>,
    #[serde(rename = "Name")]
    pub name: Option<String>,
    /// item schema not documented
    #[serde(rename = "Storage")]
    pub storage: Option<Vec<serde_json::Map<String, Value>>>,
    #[serde(rename = "SupplierName")]
    pub supplier_name: Option<String>,
    #[serde(rename = "Tags")]
    pub tags: Option<Vec<String>>,
    #[serde(rename = "ThumbnailURL")]
    pub thumbnail_url: Option<String>,
    #[serde(rename = "Variants")]
    pub variants: Option<Vec<ProductUpdatedVariant>>,
}

/// A part of [`ProductVariantCreated`].
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct ProductVariantCreatedComponent {
    /// Code of the component. (sub-field names/types taken from productVariantUpdated.md and the field-level example; inferred for this event)
    #[serde(rename = "Code")]
    pub code: Option<String>,
    /// Name of the component. (sub-field names/types taken from productVariantUpdated.md and the field-level example; inferred for this event)
    #[serde(rename = "Name")]
    pub name: Option<String>,
    /// Quantity of the component. (sub-field names/types taken from productVariantUpdated.md and the field-level example; inferred for this event)
    #[serde(rename = "Qty")]
    pub qty: Option<i64>,
}

/// A part of [`ProductVariantCreated`].
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct ProductVariantCreatedOutletPriceItem {
    /// Additional cost applied at the outlet. (sub-field names/types taken from productVariantUpdated.md and the field-level example; inferred for this event)
    #[serde(rename = "ExtraCost")]
    pub extra_cost: Option<f64>,
    /// Name of the outlet. (sub-field names/types taken from productVariantUpdated.md and the field-level example; inferred for this event)
    #[serde(rename = "Outlet")]
    pub outlet: Option<String>,
    /// Price of the variant at the specified outlet. (sub-field names/types taken from productVariantUpdated.md and the field-level example; inferred for this event)
    #[serde(rename = "Price")]
    pub price: Option<f64>,
}

/// `productVariantCreated`: Product Variant Created.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct ProductVariantCreated {
    /// The category ID of the product.
    #[serde(rename = "Category")]
    pub category: Option<String>,
    /// The product code.
    #[serde(rename = "Code")]
    pub code: Option<String>,
    /// Example: [{"Name":"Sticker","Code":"STI01","Qty":1}]
    #[serde(rename = "Components")]
    pub components: Option<Vec<ProductVariantCreatedComponent>>,
    /// Whether the product variant is discontinued.
    #[serde(rename = "Discontinued")]
    pub discontinued: Option<bool>,
    /// The unique ID of the product variant.
    #[serde(rename = "ID")]
    pub id: Option<String>,
    /// Whether the product is eligible for loyalty points.
    #[serde(rename = "LoyaltyPoint")]
    pub loyalty_point: Option<bool>,
    /// The name of the product variant.
    #[serde(rename = "Name")]
    pub name: Option<String>,
    /// The order price of the product.
    #[serde(rename = "OrderPrice")]
    pub order_price: Option<i64>,
    /// Example: [{"Outlet":"Outlet1","Price":225000,"ExtraCost":0}]
    #[serde(rename = "OutletPrice")]
    pub outlet_price: Option<Vec<ProductVariantCreatedOutletPriceItem>>,
    /// The name of the product.
    #[serde(rename = "Product")]
    pub product: Option<String>,
    /// Whether the product is taxable.
    #[serde(rename = "Taxable")]
    pub taxable: Option<bool>,
    /// The type of product variant.
    #[serde(rename = "Type")]
    pub r#type: Option<String>,
    /// The unit cost of the product.
    #[serde(rename = "UnitCost")]
    pub unit_cost: Option<i64>,
    /// The unit price of the product.
    #[serde(rename = "UnitPrice")]
    pub unit_price: Option<i64>,
    /// The variant of the product.
    #[serde(rename = "Variant")]
    pub variant: Option<String>,
    /// The weight of the product.
    #[serde(rename = "Weight")]
    pub weight: Option<i64>,
}

/// A part of [`ProductVariantUpdated`].
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct ProductVariantUpdatedComponent {
    /// Code of the component.
    #[serde(rename = "Code")]
    pub code: Option<String>,
    /// Name of the component.
    #[serde(rename = "Name")]
    pub name: Option<String>,
    /// Quantity of the component.
    #[serde(rename = "Qty")]
    pub qty: Option<i64>,
}

/// A part of [`ProductVariantUpdated`].
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct ProductVariantUpdatedOutletPriceItem {
    /// Additional cost applied at the outlet.
    #[serde(rename = "ExtraCost")]
    pub extra_cost: Option<f64>,
    /// Name of the outlet.
    #[serde(rename = "Outlet")]
    pub outlet: Option<String>,
    /// Price of the variant at the specified outlet.
    #[serde(rename = "Price")]
    pub price: Option<f64>,
}

/// `productVariantUpdated`: Product Variant Updated.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct ProductVariantUpdated {
    /// The category associated with the product.
    #[serde(rename = "Category")]
    pub category: Option<String>,
    /// Unique code for the variant.
    #[serde(rename = "Code")]
    pub code: Option<String>,
    #[serde(rename = "Components")]
    pub components: Option<Vec<ProductVariantUpdatedComponent>>,
    /// Indicates if the variant is discontinued.
    #[serde(rename = "Discontinued")]
    pub discontinued: Option<bool>,
    /// Unique identifier of the variant.
    #[serde(rename = "ID")]
    pub id: Option<String>,
    /// Indicates if the variant provides loyalty points.
    #[serde(rename = "LoyaltyPoint")]
    pub loyalty_point: Option<bool>,
    /// Full name of the product variant.
    #[serde(rename = "Name")]
    pub name: Option<String>,
    /// Price used for orders.
    #[serde(rename = "OrderPrice")]
    pub order_price: Option<f64>,
    #[serde(rename = "OutletPrice")]
    pub outlet_price: Option<Vec<ProductVariantUpdatedOutletPriceItem>>,
    /// Name of the product.
    #[serde(rename = "Product")]
    pub product: Option<String>,
    /// Indicates if the variant is taxable.
    #[serde(rename = "Taxable")]
    pub taxable: Option<bool>,
    /// Type of the product variant (e.g., Standard).
    #[serde(rename = "Type")]
    pub r#type: Option<String>,
    /// Cost of the variant.
    #[serde(rename = "UnitCost")]
    pub unit_cost: Option<f64>,
    /// Selling price of the variant.
    #[serde(rename = "UnitPrice")]
    pub unit_price: Option<f64>,
    /// The variant type or size.
    #[serde(rename = "Variant")]
    pub variant: Option<String>,
    /// Weight of the variant.
    #[serde(rename = "Weight")]
    pub weight: Option<f64>,
}

/// `supplierBillPaymentCreated`: Supplier Bill Payment Created.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct SupplierBillPaymentCreated {
    /// Total amount of the payment
    #[serde(rename = "Amount")]
    pub amount: f64,
    /// Unique bill ID of the payment
    #[serde(rename = "BillID")]
    pub bill_id: String,
    /// Created date of the payment
    #[serde(rename = "Created")]
    pub created: String,
    /// Name of the person who created the payment
    #[serde(rename = "Creator")]
    pub creator: String,
    /// Unique ID of the person who created the payment (absent in an older render)
    #[serde(rename = "CreatorID")]
    pub creator_id: Option<String>,
    /// Date of the payment made
    #[serde(rename = "Date")]
    pub date: String,
    /// Unique ID of the payment
    #[serde(rename = "ID")]
    pub id: String,
    /// Type/method of the payment
    #[serde(rename = "Method")]
    pub method: String,
    /// Number of the transaction
    #[serde(rename = "Number")]
    pub number: String,
    /// Origin outlet of the payment
    #[serde(rename = "Outlet")]
    pub outlet: String,
}

/// `supplierBillPaymentDeleted`: Supplier Bill Payment Deleted.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct SupplierBillPaymentDeleted {
    /// Total amount of the payment
    #[serde(rename = "Amount")]
    pub amount: f64,
    /// Unique bill ID of the payment
    #[serde(rename = "BillID")]
    pub bill_id: String,
    /// Created date of the payment
    #[serde(rename = "Created")]
    pub created: String,
    /// Name of the person who created the payment
    #[serde(rename = "Creator")]
    pub creator: String,
    /// Unique ID of the person who created the payment (absent in an older render)
    #[serde(rename = "CreatorID")]
    pub creator_id: Option<String>,
    /// Date of the payment made
    #[serde(rename = "Date")]
    pub date: String,
    /// Unique ID of the payment
    #[serde(rename = "ID")]
    pub id: String,
    /// Type/method of the payment
    #[serde(rename = "Method")]
    pub method: String,
    /// Number of the transaction
    #[serde(rename = "Number")]
    pub number: String,
    /// Origin outlet of the payment
    #[serde(rename = "Outlet")]
    pub outlet: String,
}

/// `supplierCreated`: Supplier Created.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct SupplierCreated {
    /// Address of the Supplier
    #[serde(rename = "Address")]
    pub address: String,
    /// Unique Code of the Supplier
    #[serde(rename = "Code")]
    pub code: String,
    /// Email of the Supplier
    #[serde(rename = "Email")]
    pub email: String,
    /// First Name of the Supplier
    #[serde(rename = "FirstName")]
    pub first_name: String,
    /// Gender of the Supplier
    #[serde(rename = "Gender")]
    pub gender: String,
    /// Last Name of the Supplier
    #[serde(rename = "LastName")]
    pub last_name: String,
    /// Mobile Phone Number of the Supplier
    #[serde(rename = "Mobile")]
    pub mobile: String,
    /// Name of the Supplier
    #[serde(rename = "Name")]
    pub name: String,
    /// Phone Number of the Supplier
    #[serde(rename = "Phone")]
    pub phone: String,
    /// Title on behalf of the Supplier
    #[serde(rename = "Title")]
    pub title: Option<String>,
}

/// `supplierDeleted`: Supplier Deleted.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct SupplierDeleted {
    /// Address of the Supplier
    #[serde(rename = "Address")]
    pub address: String,
    /// Unique Code of the Supplier
    #[serde(rename = "Code")]
    pub code: String,
    /// Email of the Supplier
    #[serde(rename = "Email")]
    pub email: String,
    /// First Name of the Supplier
    #[serde(rename = "FirstName")]
    pub first_name: String,
    /// Gender of the Supplier
    #[serde(rename = "Gender")]
    pub gender: String,
    /// Last Name of the Supplier
    #[serde(rename = "LastName")]
    pub last_name: String,
    /// Mobile Phone Number of the Supplier
    #[serde(rename = "Mobile")]
    pub mobile: String,
    /// Name of the Supplier
    #[serde(rename = "Name")]
    pub name: String,
    /// Phone Number of the Supplier
    #[serde(rename = "Phone")]
    pub phone: String,
    /// Title on behalf of the Supplier
    #[serde(rename = "Title")]
    pub title: Option<String>,
}

/// A part of [`TransferOrderCreated`].
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct TransferOrderCreatedVariant {
    /// Code of the product variant
    #[serde(rename = "Code")]
    pub code: String,
    /// Unit buying cost of the product variant
    #[serde(rename = "Cost")]
    pub cost: f64,
    /// Discount amount/percentage of the product variant
    #[serde(rename = "Discount")]
    pub discount: f64,
    /// Name of the product variant
    #[serde(rename = "Name")]
    pub name: String,
    /// Note of the product variant
    #[serde(rename = "Note")]
    pub note: Option<String>,
    /// Unit selling price of the product variant
    #[serde(rename = "Price")]
    pub price: f64,
    /// Total quantity of the product variant
    #[serde(rename = "Quantity")]
    pub quantity: f64,
    /// Unique ID of the variant
    #[serde(rename = "VariantID")]
    pub variant_id: String,
}

/// `transferOrderCreated`: Transfer Order Created.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct TransferOrderCreated {
    /// Courier name of the outlet delivery
    #[serde(rename = "Courier")]
    pub courier: Option<String>,
    /// Created date time of the outlet delivery
    #[serde(rename = "Created")]
    pub created: String,
    /// Unique Creator ID of the outlet delivery
    #[serde(rename = "CreatorID")]
    pub creator_id: String,
    /// Date of the outlet delivery
    #[serde(rename = "Date")]
    pub date: String,
    /// Destination of the outlet delivery
    #[serde(rename = "Destination")]
    pub destination: String,
    /// Note of the outlet delivery
    #[serde(rename = "Note")]
    pub note: Option<String>,
    /// Number of the outlet delivery
    #[serde(rename = "Number")]
    pub number: String,
    /// Outlet Delivery number (sic; doc text)
    #[serde(rename = "Outlet")]
    pub outlet: String,
    /// Unique ID of the outlet delivery
    #[serde(rename = "OutletID")]
    pub outlet_id: Option<String>,
    /// Received date of the outlet delivery
    #[serde(rename = "ReceivedDate")]
    pub received_date: Option<String>,
    /// Received note of the outlet delivery
    #[serde(rename = "ReceivedNote")]
    pub received_note: Option<String>,
    /// Status of the outlet delivery
    #[serde(rename = "State")]
    pub state: String,
    /// non-empty, unique items
    #[serde(rename = "Variants")]
    pub variants: Vec<TransferOrderCreatedVariant>,
}
